package io.kstatefun.examples.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Everything committed to one egress topic, read from the beginning with {@code read_committed} (so
 * only records of committed transactions are seen). Not thread safe: use it from the test thread.
 */
public final class EgressLog implements AutoCloseable {

  /** One egress record, with the time this reader saw it. */
  public record Entry(String key, String value, long seenAtMillis) {}

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<Entry> entries = new ArrayList<>();
  private final String topic;

  public EgressLog(String bootstrap, String topic) {
    this.topic = topic;
    this.consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    if (partitions.isEmpty()) {
      throw new IllegalStateException("egress topic " + topic + " does not exist");
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Reads until {@code done} holds for the records read so far, or the timeout passes. */
  public List<Entry> awaitUntil(Predicate<List<Entry>> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(entries) && System.nanoTime() < deadline) {
      poll();
    }
    if (!done.test(entries)) {
      throw new AssertionError(
          "timed out after "
              + timeout.toSeconds()
              + " s waiting for egress on "
              + topic
              + "; read so far: "
              + entries);
    }
    return List.copyOf(entries);
  }

  /** Reads for {@code duration}, then returns everything read so far. */
  public List<Entry> readFor(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < deadline) {
      poll();
    }
    return List.copyOf(entries);
  }

  /** The records read so far whose key is {@code key}. */
  public List<Entry> forKey(String key) {
    return entries.stream().filter(e -> key.equals(e.key())).toList();
  }

  /** The values read so far for {@code key}, in order. */
  public List<String> valuesFor(String key) {
    return forKey(key).stream().map(Entry::value).toList();
  }

  private void poll() {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
      entries.add(new Entry(utf8(r.key()), utf8(r.value()), System.currentTimeMillis()));
    }
  }

  private static String utf8(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
