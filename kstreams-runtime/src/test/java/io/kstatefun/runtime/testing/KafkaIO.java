package io.kstatefun.runtime.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing to and reading from a real broker in tests. Reads are {@code read_committed}. */
public final class KafkaIO {

  private KafkaIO() {}

  public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public static void send(
      KafkaProducer<byte[], byte[]> producer, String topic, String key, String value) {
    producer.send(
        new ProducerRecord<>(
            topic,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8),
            value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
  }

  /** A read_committed consumer of {@code topic} from the beginning. */
  public static KafkaConsumer<byte[], byte[]> committedReader(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }

  /** Polls until {@code done} holds for everything read so far, or the timeout passes. */
  public static List<ConsumerRecord<byte[], byte[]>> readUntil(
      KafkaConsumer<byte[], byte[]> consumer,
      List<ConsumerRecord<byte[], byte[]>> sink,
      Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(sink) && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        sink.add(r);
      }
    }
    return sink;
  }

  /**
   * Reads for {@code quiet} more: an observation window for a negative check (no late duplicate,
   * nothing dead-lettered) while the writer keeps running. It never waits for something to happen;
   * when the test can stop the writers first, {@link #readToEnd} is exact instead.
   */
  public static void drain(
      KafkaConsumer<byte[], byte[]> consumer,
      List<ConsumerRecord<byte[], byte[]>> sink,
      Duration quiet) {
    long deadline = System.nanoTime() + quiet.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        sink.add(r);
      }
    }
  }

  /**
   * Reads every committed record up to the current end of the consumer's partitions (for a {@code
   * read_committed} consumer, the last stable offset). Once every writer has stopped (closed
   * cleanly, or killed and its transaction aborted), that is all the topic will ever hold, so a
   * check for duplicates needs no quiet period. Fails after {@code timeout}.
   */
  public static void readToEnd(
      KafkaConsumer<byte[], byte[]> consumer,
      List<ConsumerRecord<byte[], byte[]>> sink,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (consumer.assignment().isEmpty()) {
      pollInto(consumer, sink, deadline, "an assignment");
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
    while (!end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
      pollInto(consumer, sink, deadline, "the end offsets " + end);
    }
  }

  private static void pollInto(
      KafkaConsumer<byte[], byte[]> consumer,
      List<ConsumerRecord<byte[], byte[]>> sink,
      long deadline,
      String what) {
    if (System.nanoTime() > deadline) {
      throw new AssertionError("timed out reading to " + what);
    }
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
      sink.add(r);
    }
  }

  public static String utf8(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  public static Map<String, Object> runtimeProps(String appId, String bootstrap, String stateDir) {
    return Map.of(
        "application.id", appId,
        "bootstrap.servers", bootstrap,
        "state.dir", stateDir);
  }
}
