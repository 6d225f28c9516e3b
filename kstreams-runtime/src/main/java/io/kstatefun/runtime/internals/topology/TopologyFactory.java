package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.StartupPosition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the kstatefun topology: every ingress topic, the loopback topic and the doorbell topic
 * feed one dispatcher processor, which owns three changelogged RocksDB stores (mailboxes, function
 * state, timers) and writes to three sinks (loopback, egress, dead letters). All of it is one
 * sub-topology, so task {@code p} reads partition {@code p} of every input and owns the addresses
 * whose id hashes to {@code p}.
 *
 * <pre>
 *   ingress topics ─┐
 *   loopback topic ─┼─> dispatcher [mailbox, state, timers] ─┬─> loopback sink (by address id)
 *   doorbell topic ─┘                                        ├─> egress sink (topic per record)
 *                                                            └─> dead-letter sink (topic per record)
 * </pre>
 */
public final class TopologyFactory {

  static final String DISPATCHER = "kstatefun-dispatcher";
  public static final String MAILBOX_STORE = "kstatefun-mailbox";
  public static final String STATE_STORE = "kstatefun-state";
  public static final String TIMER_STORE = "kstatefun-timers";
  static final String LOOPBACK_SOURCE = "loopback-source";
  static final String DOORBELL_SOURCE = "doorbell-source";
  static final String LOOPBACK_SINK = "loopback-sink";
  static final String EGRESS_SINK = "egress-sink";
  static final String DEAD_LETTER_SINK = "dead-letter-sink";

  private TopologyFactory() {}

  /** The topology for {@code services}' module and settings. */
  public static Topology build(RuntimeServices services) {
    return build(services, services.loopbackTopic());
  }

  /**
   * The topology, with the loopback sink writing to {@code loopbackSinkTopic} instead of the
   * loopback topic. A test seam: {@code TopologyTestDriver} runs a single task and feeds every
   * record written to one of its source topics straight back into it, so a message for an address
   * of another partition would circle through the loopback topic forever; writing it to a topic the
   * topology does not read lets a test observe it.
   */
  static Topology build(RuntimeServices services, String loopbackSinkTopic) {
    Topology topology = new Topology();
    List<String> parents = new ArrayList<>();

    Map<String, AutoOffsetReset> ingressTopics = new LinkedHashMap<>();
    for (KafkaIngressSpec ingress : services.module().ingresses()) {
      AutoOffsetReset reset = offsetReset(ingress);
      for (IngressTopic topic : ingress.topics()) {
        ingressTopics.putIfAbsent(topic.topic(), reset);
      }
    }
    int i = 0;
    for (Map.Entry<String, AutoOffsetReset> e : ingressTopics.entrySet()) {
      String name = "ingress-" + (i++) + "-" + e.getKey();
      topology.addSource(
          e.getValue(), name, new ByteArrayDeserializer(), new ByteArrayDeserializer(), e.getKey());
      parents.add(name);
    }
    topology.addSource(
        AutoOffsetReset.earliest(),
        LOOPBACK_SOURCE,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        services.loopbackTopic());
    parents.add(LOOPBACK_SOURCE);
    if (services
        .config()
        .getBoolean(io.kstatefun.runtime.config.KStatefunConfig.DOORBELL_ENABLED_CONFIG)) {
      topology.addSource(
          AutoOffsetReset.latest(),
          DOORBELL_SOURCE,
          new ByteArrayDeserializer(),
          new ByteArrayDeserializer(),
          services.doorbellTopic());
      parents.add(DOORBELL_SOURCE);
    }

    topology.addProcessor(
        DISPATCHER, () -> new DispatchProcessor(services), parents.toArray(String[]::new));
    for (String store : List.of(MAILBOX_STORE, STATE_STORE, TIMER_STORE)) {
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(store), Serdes.Bytes(), Serdes.ByteArray())
              .withCachingEnabled(),
          DISPATCHER);
    }

    topology.addSink(
        LOOPBACK_SINK,
        loopbackSinkTopic,
        new ByteArraySerializer(),
        new ByteArraySerializer(),
        byAddressId(),
        DISPATCHER);
    topology.addSink(
        EGRESS_SINK,
        TopicRecord.TOPIC,
        new ByteArraySerializer(),
        TopicRecord.SERIALIZER,
        DISPATCHER);
    topology.addSink(
        DEAD_LETTER_SINK,
        TopicRecord.TOPIC,
        new ByteArraySerializer(),
        TopicRecord.SERIALIZER,
        DISPATCHER);
    return topology;
  }

  /** Loopback records are keyed by the target's id; the partition is the address's partition. */
  static StreamPartitioner<byte[], byte[]> byAddressId() {
    return (topic, key, value, numPartitions) ->
        Optional.of(
            Set.of(
                AddressPartitioner.partition(
                    new String(key, StandardCharsets.UTF_8), numPartitions)));
  }

  private static AutoOffsetReset offsetReset(KafkaIngressSpec ingress) {
    StartupPosition position = ingress.startupPosition();
    if (position instanceof StartupPosition.Earliest) {
      return AutoOffsetReset.earliest();
    }
    if (position instanceof StartupPosition.Latest) {
      return AutoOffsetReset.latest();
    }
    if (position instanceof StartupPosition.GroupOffsets) {
      return ingress.autoOffsetResetPosition() == KafkaIngressSpec.AutoOffsetReset.EARLIEST
          ? AutoOffsetReset.earliest()
          : AutoOffsetReset.latest();
    }
    if (position instanceof StartupPosition.FromDate date) {
      Duration back = Duration.between(date.date(), Instant.now());
      return AutoOffsetReset.byDuration(back.isNegative() ? Duration.ZERO : back);
    }
    throw new IllegalArgumentException(
        "ingress "
            + ingress.id()
            + ": startupPosition '"
            + position
            + "' is not supported by kstatefun (supported: earliest, latest, group-offsets, date). "
            + "Offsets are committed with the application's consumer group; to start from specific "
            + "offsets, reset the group's offsets with kafka-consumer-groups before the first start.");
  }
}
