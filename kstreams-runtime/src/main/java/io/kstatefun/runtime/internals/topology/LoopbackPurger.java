package io.kstatefun.runtime.internals.topology;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the loopback records that the application has consumed and committed, the way Kafka
 * Streams purges its repartition topics ({@code repartition.purge.interval.ms}): the loopback topic
 * has unlimited retention, so that no message is deleted before it is consumed, and this is what
 * keeps it small.
 *
 * <p>Each round reads the committed offsets of the application's consumer group (its {@code
 * application.id}) for the loopback partitions whose tasks this instance runs, and asks the brokers
 * to delete the records below them ({@code Admin.deleteRecords}). Under exactly-once the group's
 * committed offsets only include committed transactions, so a record is deleted only after the
 * transaction that consumed it committed; nothing at or above a committed offset is ever deleted.
 * Another instance's partitions are that instance's job (deleting them too would be as safe, only
 * redundant).
 *
 * <p>Threading: {@link #run} is called periodically by one scheduler thread and never blocks: it
 * only starts admin requests, whose completions (on the admin client's thread) chain the next
 * request and record the result. A round that is still in flight makes the next call a no-op. The
 * task registry is read as a snapshot.
 */
final class LoopbackPurger implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LoopbackPurger.class);

  private final Admin admin;
  private final String groupId;
  private final String topic;
  private final Supplier<Set<Integer>> partitions;
  private final AtomicBoolean running = new AtomicBoolean();

  /** Partition -> the offset below which records were deleted by this instance. */
  private final Map<Integer, Long> purged = new ConcurrentHashMap<>();

  private volatile boolean failing;
  private volatile boolean closed;

  /**
   * @param groupId the application's consumer group ({@code application.id})
   * @param topic the loopback topic
   * @param partitions the loopback partitions whose tasks this instance runs now
   */
  LoopbackPurger(Admin admin, String groupId, String topic, Supplier<Set<Integer>> partitions) {
    this.admin = admin;
    this.groupId = groupId;
    this.topic = topic;
    this.partitions = partitions;
  }

  @Override
  public void run() {
    if (closed || !running.compareAndSet(false, true)) {
      return; // the previous round is still in flight
    }
    try {
      Set<Integer> owned = partitions.get();
      if (owned.isEmpty()) {
        running.set(false);
        return;
      }
      List<TopicPartition> tps = owned.stream().map(p -> new TopicPartition(topic, p)).toList();
      admin
          .listConsumerGroupOffsets(
              Map.of(groupId, new ListConsumerGroupOffsetsSpec().topicPartitions(tps)))
          .partitionsToOffsetAndMetadata(groupId)
          .whenComplete(
              (committed, error) -> {
                if (error != null) {
                  finish(error);
                } else {
                  deleteBelow(committed);
                }
              });
    } catch (RuntimeException e) {
      finish(e);
    }
  }

  private void deleteBelow(Map<TopicPartition, OffsetAndMetadata> committed) {
    Map<TopicPartition, RecordsToDelete> delete = toDelete(topic, committed, purged);
    if (delete.isEmpty()) {
      finish(null);
      return;
    }
    admin
        .deleteRecords(delete)
        .all()
        .whenComplete(
            (ignored, error) -> {
              if (error == null) {
                delete.forEach((tp, r) -> purged.put(tp.partition(), r.beforeOffset()));
                LOG.debug("Deleted consumed loopback records: {}", delete);
              }
              finish(error);
            });
  }

  /**
   * The deletions a round asks for: per loopback partition with a committed offset beyond what was
   * already deleted, the records below that offset.
   */
  static Map<TopicPartition, RecordsToDelete> toDelete(
      String topic, Map<TopicPartition, OffsetAndMetadata> committed, Map<Integer, Long> purged) {
    Map<TopicPartition, RecordsToDelete> out = new LinkedHashMap<>();
    committed.forEach(
        (tp, offset) -> {
          if (offset != null
              && tp.topic().equals(topic)
              && offset.offset() > purged.getOrDefault(tp.partition(), 0L)) {
            out.put(tp, RecordsToDelete.beforeOffset(offset.offset()));
          }
        });
    return out;
  }

  private void finish(Throwable error) {
    if (closed) {
      running.set(false);
      return; // requests cut short by close() are no failure
    }
    if (error == null) {
      if (failing) {
        LOG.info("Deleting consumed records of the loopback topic {} works again", topic);
      }
      failing = false;
    } else if (!failing) {
      failing = true;
      LOG.warn(
          "Cannot delete consumed records of the loopback topic {} (group {}); will retry. The topic keeps "
              + "growing until this works (needs DESCRIBE on the group and DELETE on the topic): {}",
          topic,
          groupId,
          error.toString());
    } else {
      LOG.debug("Deleting consumed loopback records failed again", error);
    }
    running.set(false);
  }

  /**
   * Stops purging and closes the admin client at once: a purge cut short only leaves records for
   * the next one. Call after the scheduler stopped calling {@link #run}.
   */
  @Override
  public void close() {
    closed = true;
    admin.close(Duration.ZERO);
  }
}
