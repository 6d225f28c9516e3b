package io.kstatefun.benchmarks;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The substrate baseline: a plain Kafka Streams application doing what the 1-hop counter does,
 * without kstatefun. It reads each record {@code seq,sendNanos,route}, increments the key's count
 * in a changelogged, cached RocksDB store and writes {@code seq,sendNanos,count} to the output
 * topic, under {@code exactly_once_v2}. It runs with the Kafka Streams settings the caller gives
 * (the suite passes kstatefun's), and with {@code baseline.commit.on.output=true} it requests a
 * commit after each output like kstatefun's {@code kstatefun.commit.on.output}.
 */
public final class BaselineApp {

  /** Request a commit after every output record (mirrors {@code kstatefun.commit.on.output}). */
  public static final String COMMIT_ON_OUTPUT_CONFIG = "baseline.commit.on.output";

  /**
   * Least time between two requested commits of the thread (mirrors {@code
   * kstatefun.commit.min.interval.ms}); output within it is committed by a wall-clock punctuator.
   */
  public static final String COMMIT_MIN_INTERVAL_MS_CONFIG = "baseline.commit.min.interval.ms";

  static final String STORE = "counts";

  private BaselineApp() {}

  /** The topology: source -> counting processor with a RocksDB store -> sink. */
  public static Topology topology(
      String inTopic, String outTopic, boolean commitOnOutput, long minIntervalMs) {
    Topology topology = new Topology();
    topology.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), inTopic);
    topology.addProcessor("count", () -> new Counter(commitOnOutput, minIntervalMs), "in");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(STORE), Serdes.ByteArray(), Serdes.Long())
            .withCachingEnabled(),
        "count");
    topology.addSink(
        "out", outTopic, new ByteArraySerializer(), new ByteArraySerializer(), "count");
    return topology;
  }

  /** Starts the application; the caller closes it. */
  public static KafkaStreams start(String inTopic, String outTopic, Map<String, ?> properties) {
    Properties props = new Properties();
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    boolean commitOnOutput = false;
    long minIntervalMs = 0;
    for (Map.Entry<String, ?> e : properties.entrySet()) {
      if (e.getKey().equals(COMMIT_ON_OUTPUT_CONFIG)) {
        commitOnOutput = Boolean.parseBoolean(e.getValue().toString());
      } else if (e.getKey().equals(COMMIT_MIN_INTERVAL_MS_CONFIG)) {
        minIntervalMs = Long.parseLong(e.getValue().toString());
      } else if (!e.getKey().startsWith("kstatefun.") && !e.getKey().startsWith("baseline.")) {
        props.put(e.getKey(), e.getValue());
      }
    }
    KafkaStreams streams =
        new KafkaStreams(topology(inTopic, outTopic, commitOnOutput, minIntervalMs), props);
    streams.start();
    return streams;
  }

  private static final class Counter implements Processor<byte[], byte[], byte[], byte[]> {
    /** Last requested commit per stream thread (Streams commits all tasks of a thread together). */
    private static final ThreadLocal<long[]> LAST_REQUEST =
        ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE / 2});

    private final boolean commitOnOutput;
    private final long minIntervalMs;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<byte[], Long> counts;
    private boolean pending;

    Counter(boolean commitOnOutput, long minIntervalMs) {
      this.commitOnOutput = commitOnOutput;
      this.minIntervalMs = minIntervalMs;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      this.counts = context.getStateStore(STORE);
      if (commitOnOutput && minIntervalMs > 0) {
        context.schedule(
            Duration.ofMillis(minIntervalMs),
            PunctuationType.WALL_CLOCK_TIME,
            now -> maybeCommit());
      }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      Payload.Parsed in = Payload.parse(record.value());
      Long previous = counts.get(record.key());
      long count = previous == null ? 1 : previous + 1;
      counts.put(record.key(), count);
      context.forward(record.withValue(Payload.egress(in.seq(), in.sendNanos(), count)));
      if (commitOnOutput) {
        pending = true;
        maybeCommit();
      }
    }

    private void maybeCommit() {
      long now = System.currentTimeMillis();
      long[] last = LAST_REQUEST.get();
      if (pending && now - last[0] >= minIntervalMs) {
        context.commit();
        last[0] = now;
        pending = false;
      }
    }
  }
}
