package io.kstatefun.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
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

  static final String STORE = "counts";

  private BaselineApp() {}

  /** The topology: source -> counting processor with a RocksDB store -> sink. */
  public static Topology topology(String inTopic, String outTopic, boolean commitOnOutput) {
    Topology topology = new Topology();
    topology.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), inTopic);
    topology.addProcessor("count", () -> new Counter(commitOnOutput), "in");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.ByteArray(), Serdes.Long())
            .withCachingEnabled(),
        "count");
    topology.addSink("out", outTopic, new ByteArraySerializer(), new ByteArraySerializer(), "count");
    return topology;
  }

  /** Starts the application; the caller closes it. */
  public static KafkaStreams start(String inTopic, String outTopic, Map<String, ?> properties) {
    Properties props = new Properties();
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    boolean commitOnOutput = false;
    for (Map.Entry<String, ?> e : properties.entrySet()) {
      if (e.getKey().equals(COMMIT_ON_OUTPUT_CONFIG)) {
        commitOnOutput = Boolean.parseBoolean(e.getValue().toString());
      } else if (!e.getKey().startsWith("kstatefun.")) {
        props.put(e.getKey(), e.getValue());
      }
    }
    KafkaStreams streams = new KafkaStreams(topology(inTopic, outTopic, commitOnOutput), props);
    streams.start();
    return streams;
  }

  private static final class Counter implements Processor<byte[], byte[], byte[], byte[]> {
    private final boolean commitOnOutput;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<byte[], Long> counts;

    Counter(boolean commitOnOutput) {
      this.commitOnOutput = commitOnOutput;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      this.counts = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      Payload.Parsed in = Payload.parse(record.value());
      Long previous = counts.get(record.key());
      long count = previous == null ? 1 : previous + 1;
      counts.put(record.key(), count);
      context.forward(record.withValue(Payload.egress(in.seq(), in.sendNanos(), count)));
      if (commitOnOutput) {
        context.commit();
      }
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
