package io.kstatefun.runtime.internals.state;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Bytes;

/**
 * Reads one partition of a store's changelog the way Kafka Streams restores the store:
 * read_committed (records of aborted or open transactions are skipped), from the beginning to the
 * end offset found at the start (the last stable offset), the last value of each key kept, a
 * tombstone deleting it. No group, no committed offsets.
 *
 * <p>Not thread-safe: one thread uses a reader.
 */
final class ChangelogReader implements AutoCloseable {

  /** Called every so many records read, with the count read so far in this partition. */
  interface Progress {
    void read(long records);
  }

  private final KafkaConsumer<byte[], byte[]> consumer;

  ChangelogReader(Map<String, Object> clientProps) {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The live keys of {@code topic}-{@code partition} and their last values, in the order they were
   * first written.
   */
  Map<Bytes, byte[]> read(String topic, int partition, Progress progress) {
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    long end =
        consumer
            .endOffsets(List.of(tp), Duration.ofSeconds(Applications.TIMEOUT_S))
            .getOrDefault(tp, 0L);
    Map<Bytes, byte[]> live = new LinkedHashMap<>();
    long read = 0;
    long nextReport = 100_000;
    while (consumer.position(tp, Duration.ofSeconds(Applications.TIMEOUT_S)) < end) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        if (r.offset() >= end) {
          break;
        }
        Bytes key = Bytes.wrap(r.key());
        if (r.value() == null) {
          live.remove(key);
        } else {
          live.put(key, r.value());
        }
        if (++read >= nextReport) {
          progress.read(read);
          nextReport += 100_000;
        }
      }
    }
    consumer.assign(List.of());
    return live;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
