package io.kstatefun.runtime.internals.api;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.runtime.internals.proto.ApiReply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the answers to this instance's waiting HTTP requests from one partition of the replies
 * topic ({@code assign}, not a group; {@code read_committed}, so an answer is seen only once the
 * task's transaction that wrote it, with the effects that produced it, is committed). The partition
 * is picked at random at start; another instance may read the same partition, so answers are
 * matched by call id (unique per instance: a random instance id and a counter) and the others' are
 * skipped.
 *
 * <p>Threading: {@link #start} and {@link #close} are called by the thread that starts and stops
 * the runtime; the reader thread {@code kstatefun-api-replies} owns the consumer and runs the
 * callbacks (which must only hand the answer to their own event loop); {@link #await} and {@link
 * #forget} may be called from any thread.
 */
final class ApiReplies implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ApiReplies.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final String instance =
      Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  private final AtomicLong calls = new AtomicLong();
  private final Map<String, Consumer<ApiReply>> waiting = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private Thread reader;
  private int partition = -1;

  ApiReplies(Map<String, Object> consumerProperties, String topic) {
    Map<String, Object> props = new java.util.HashMap<>(consumerProperties);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.remove("group.id");
    props.remove("group.instance.id");
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
  }

  /**
   * Picks the partition, positions the consumer at its end (answers written before are not ours)
   * and starts the reader. Requests must not be accepted before this returned.
   */
  void start() {
    List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (partitions == null || partitions.isEmpty()) {
      throw new IllegalStateException("the HTTP API's replies topic " + topic + " does not exist");
    }
    partition = ThreadLocalRandom.current().nextInt(partitions.size());
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp, Duration.ofSeconds(30)); // resolves the end now, not at the first poll
    reader = new Thread(this::run, "kstatefun-api-replies");
    reader.setDaemon(true);
    reader.start();
    LOG.info("HTTP API answers are read from {}-{}", topic, partition);
  }

  /** The partition of the replies topic this instance reads. */
  int partition() {
    return partition;
  }

  /** Registers a waiting request; returns its call id. {@code onReply} runs on the reader. */
  String await(Consumer<ApiReply> onReply) {
    String id = instance + "-" + calls.incrementAndGet();
    waiting.put(id, onReply);
    return id;
  }

  /** Stops waiting for {@code callId}; true if it was still waiting. */
  boolean forget(String callId) {
    return waiting.remove(callId) != null;
  }

  /** Number of requests waiting for an answer. */
  int pending() {
    return waiting.size();
  }

  private void run() {
    while (!closed) {
      try {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          ApiReply reply;
          try {
            reply = ApiReply.parseFrom(r.value() == null ? new byte[0] : r.value());
          } catch (InvalidProtocolBufferException e) {
            LOG.warn(
                "Skipping an unreadable record {}-{}@{}: {}",
                r.topic(),
                r.partition(),
                r.offset(),
                e.getMessage());
            continue;
          }
          Consumer<ApiReply> callback = waiting.remove(reply.getCallId());
          if (callback != null) {
            try {
              callback.accept(reply);
            } catch (RuntimeException e) {
              LOG.warn("Answering HTTP API request {} failed", reply.getCallId(), e);
            }
          }
        }
      } catch (WakeupException e) {
        // closing
      } catch (RuntimeException e) {
        if (!closed) {
          LOG.warn("Reading HTTP API answers from {}-{} failed; retrying", topic, partition, e);
          sleepQuietly();
        }
      }
    }
    consumer.close(Duration.ofSeconds(5));
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (reader == null) {
      consumer.close(Duration.ofSeconds(5));
      return;
    }
    consumer.wakeup();
    try {
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
