package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.Command;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.Json;
import io.kstatefun.chaos.workload.ShadowModel;
import io.kstatefun.chaos.workload.WorkloadGenerator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the workload to the ingress topics (one per function type, keyed by id) and records every
 * message in the {@link ShadowModel} as it goes. Driver messages carry their own per-receiver
 * sequence numbers, assigned in send order under one lock, so they are FIFO-checked like
 * function-to-function messages (the idempotent producer keeps a partition's order).
 *
 * <p>Threading: thread-safe; the workload, probe and verify senders share it.
 */
public final class Driver implements AutoCloseable {

  private final KafkaProducer<byte[], byte[]> producer;
  private final Map<FnAddress.Kind, String> ingressTopics;
  private final ShadowModel model;
  private final EventCollector collector;
  private final Map<FnAddress, Long> seqs = new HashMap<>();
  private final AtomicLong uids = new AtomicLong(WorkloadGenerator.DRIVER_UID_BASE);
  private final List<String> sendFailures = new CopyOnWriteArrayList<>();
  private final AtomicLong sent = new AtomicLong();

  public Driver(
      String bootstrap,
      Map<FnAddress.Kind, String> ingressTopics,
      ShadowModel model,
      EventCollector collector) {
    this.ingressTopics = Map.copyOf(ingressTopics);
    this.model = model;
    this.collector = collector;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // Survive a broker being down for a while: never give up on a record inside a round.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends one generated tree. */
  public void send(WorkloadGenerator.Tree tree) {
    send(tree.target(), tree.uid(), tree.cmds());
  }

  /** Sends a probe (one increment) and registers it with the collector; returns its uid. */
  public long probe(FnAddress target) {
    long uid = uids.incrementAndGet();
    collector.registerProbe(uid, System.currentTimeMillis());
    send(target, uid, List.of(Command.inc()));
    return uid;
  }

  /** Asks {@code target} to report its counter next to the model's expectation. */
  public long verify(FnAddress target) {
    long uid = uids.incrementAndGet();
    send(target, uid, List.of(Command.verify(model.count(target))));
    return uid;
  }

  private synchronized void send(FnAddress target, long uid, List<Command> cmds) {
    long seq = seqs.merge(target, 1L, Long::sum);
    ChaosMessage message = new ChaosMessage(uid, ChaosMessage.DRIVER, seq, cmds);
    model.addIngress(target, message);
    producer.send(
        new ProducerRecord<>(
            ingressTopics.get(target.kind()),
            target.id().getBytes(StandardCharsets.UTF_8),
            Json.bytes(message)),
        (meta, error) -> {
          if (error != null) {
            sendFailures.add("message " + uid + " to " + target + ": " + error);
          }
        });
    sent.incrementAndGet();
  }

  public void flush() {
    producer.flush();
  }

  /** Sends that failed for good (a harness problem, not a runtime one). */
  public List<String> sendFailures() {
    return new ArrayList<>(sendFailures);
  }

  public long sent() {
    return sent.get();
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(10));
  }
}
