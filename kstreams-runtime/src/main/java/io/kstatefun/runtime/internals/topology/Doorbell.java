package io.kstatefun.runtime.internals.topology;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes a task's stream thread when work for it arrives outside of Kafka (a function call finished,
 * a timer is due): a tiny non-transactional record on the task's partition of the doorbell topic
 * makes the thread's {@code poll()} return at once. The record carries nothing; the work itself
 * waits in memory, and a lost ring only delays it until the safety-net punctuation.
 *
 * <p>{@link #ring} never blocks: it only marks the partition and queues it for the doorbell's own
 * sender thread, the only thread that calls the producer (whose {@code send} can block up to {@code
 * max.block.ms} when it has no metadata, e.g. while the broker is unreachable). Rings of a
 * partition coalesce: while one is queued or sent but not yet acknowledged, further rings only note
 * that another is due once it is acknowledged, so at most one record per partition is pending and
 * an unreachable broker costs one record per partition, not one per ring. A ring the producer fails
 * (no metadata in time, delivery timeout) is dropped.
 *
 * <p>Threading: {@link #ring} is called from any thread (Vert.x event loops, the timer alarm,
 * stream threads, egress topic lookups); the sender thread takes queued partitions; producer
 * callbacks (its I/O thread) end a partition's pending ring.
 */
final class Doorbell implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Doorbell.class);
  private static final byte[] EMPTY = new byte[0];

  /** Nothing pending for the partition. */
  private static final int IDLE = 0;

  /** The partition is in the queue for the sender thread. */
  private static final int QUEUED = 1;

  /** Its record was handed to the producer and is not acknowledged yet. */
  private static final int SENT = 2;

  /** Like {@link #SENT}, and it was rung again meanwhile: queue it once acknowledged. */
  private static final int SENT_RUNG_AGAIN = 3;

  private final String topic;
  private final Producer<byte[], byte[]> producer;
  private final Map<Integer, AtomicInteger> states = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<Integer> queue = new LinkedBlockingQueue<>();
  private final Thread sender;
  private volatile boolean closed;

  Doorbell(String topic, Map<String, Object> clientProperties) {
    this(
        topic,
        new KafkaProducer<>(
            producerProperties(topic, clientProperties),
            new ByteArraySerializer(),
            new ByteArraySerializer()));
  }

  /** A doorbell ringing through {@code producer}, which it closes. */
  Doorbell(String topic, Producer<byte[], byte[]> producer) {
    this.topic = topic;
    this.producer = producer;
    this.sender = new Thread(this::sendLoop, "kstatefun-doorbell");
    sender.setDaemon(true);
    sender.start();
  }

  private static Map<String, Object> producerProperties(
      String topic, Map<String, Object> clientProperties) {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ProducerConfig.ACKS_CONFIG, "1");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.put(ProducerConfig.RETRIES_CONFIG, 0);
    // Only the sender thread waits on these; a ring that cannot go out soon is worthless.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, topic + "-producer");
    return props;
  }

  /** Asks for a wake-up of the task of {@code partition}. Never blocks. */
  void ring(int partition) {
    if (closed) {
      return;
    }
    AtomicInteger state = states.computeIfAbsent(partition, p -> new AtomicInteger(IDLE));
    while (true) {
      int s = state.get();
      if (s == IDLE) {
        if (state.compareAndSet(IDLE, QUEUED)) {
          queue.add(partition);
          return;
        }
      } else if (s == SENT) {
        if (state.compareAndSet(SENT, SENT_RUNG_AGAIN)) {
          return;
        }
      } else {
        return; // QUEUED or SENT_RUNG_AGAIN: the pending ring covers this one
      }
    }
  }

  private void sendLoop() {
    while (!closed) {
      int partition;
      try {
        partition = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      AtomicInteger state = states.get(partition);
      state.set(SENT);
      try {
        producer.send(
            new ProducerRecord<>(topic, partition, null, EMPTY),
            (metadata, error) -> {
              if (error != null) {
                LOG.debug(
                    "Doorbell ring for partition {} of {} lost: {}",
                    partition,
                    topic,
                    error.toString());
              }
              acknowledged(partition, state);
            });
      } catch (RuntimeException e) { // no metadata within max.block.ms, or closed
        LOG.debug(
            "Doorbell ring for partition {} of {} dropped: {}", partition, topic, e.toString());
        acknowledged(partition, state);
      }
    }
  }

  /** The pending ring of {@code partition} ended: queue the next one if it was rung meanwhile. */
  private void acknowledged(int partition, AtomicInteger state) {
    while (true) {
      int s = state.get();
      if (s == SENT_RUNG_AGAIN) {
        if (state.compareAndSet(SENT_RUNG_AGAIN, QUEUED)) {
          queue.add(partition);
          return;
        }
      } else if (s == SENT) {
        if (state.compareAndSet(SENT, IDLE)) {
          return;
        }
      } else {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    sender.interrupt();
    try {
      sender.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ZERO); // pending rings are worthless now
  }
}
