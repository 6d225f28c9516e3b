package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.EgressRecord;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads everything the runtimes produce, with {@code read_committed} (only committed transactions
 * count): the functions' events, the egress topic and the dead-letter topic. Keeps every record, in
 * partition order, for the {@link Verifier}, and live indexes for the round (which uids were
 * applied, how far every probe address got).
 *
 * <p>Threading: one daemon thread polls; the accessors are safe from any thread and return copies.
 */
public final class EventCollector implements AutoCloseable {

  /**
   * A dead-letter record.
   *
   * @param reason the {@code kstatefun.dlq.reason} header
   * @param address the {@code kstatefun.dlq.address} header
   * @param detail the {@code kstatefun.dlq.detail} header
   */
  public record DeadLetter(String reason, String address, String detail) {}

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String eventsTopic;
  private final String egressTopic;
  private final String deadLetterTopic;
  private final Thread thread;
  private volatile boolean closed;

  private final Object lock = new Object();
  private final Map<String, List<FunctionEvent>> eventsByAddress = new LinkedHashMap<>();
  private final Map<Long, Integer> appliedUids = new HashMap<>();
  private final List<EgressRecord> egress = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final List<String> unreadable = new ArrayList<>();

  private final ConcurrentHashMap<Long, Long> probeSentAt = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> probeProgress = new ConcurrentHashMap<>();

  /** Per probe address: sent at, applied by the function at, read at (ms), in read order. */
  private final ConcurrentHashMap<String, List<long[]>> probeTimes = new ConcurrentHashMap<>();

  private final AtomicLong records = new AtomicLong();
  private volatile long lastRecordAtMs = System.currentTimeMillis();

  public EventCollector(
      String bootstrap, String eventsTopic, String egressTopic, String deadLetterTopic) {
    this.eventsTopic = eventsTopic;
    this.egressTopic = egressTopic;
    this.deadLetterTopic = deadLetterTopic;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "chaos-collector-" + UUID.randomUUID());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(eventsTopic, egressTopic, deadLetterTopic)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::loop, "chaos-event-collector");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (!closed) {
      try {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          accept(r);
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        break;
      } catch (RuntimeException e) {
        if (closed) {
          break;
        }
        synchronized (lock) {
          unreadable.add("poll failed: " + e);
        }
        sleep(500);
      }
    }
    consumer.close(Duration.ofSeconds(5));
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    records.incrementAndGet();
    lastRecordAtMs = System.currentTimeMillis();
    synchronized (lock) {
      try {
        if (r.topic().equals(eventsTopic)) {
          FunctionEvent e = Json.read(r.value(), FunctionEvent.class);
          eventsByAddress.computeIfAbsent(e.fn(), k -> new ArrayList<>()).add(e);
          if (e.isApplied()) {
            appliedUids.merge(e.uid(), 1, Integer::sum);
            Long sent = probeSentAt.get(e.uid());
            if (sent != null) {
              probeProgress.merge(e.fn(), sent, Math::max);
              probeTimes
                  .computeIfAbsent(e.fn(), k -> new ArrayList<>())
                  .add(new long[] {sent, e.ts(), lastRecordAtMs});
            }
          }
        } else if (r.topic().equals(egressTopic)) {
          egress.add(Json.read(r.value(), EgressRecord.class));
        } else if (r.topic().equals(deadLetterTopic)) {
          deadLetters.add(
              new DeadLetter(
                  header(r, "kstatefun.dlq.reason"),
                  header(r, "kstatefun.dlq.address"),
                  header(r, "kstatefun.dlq.detail")));
        }
      } catch (RuntimeException e) {
        unreadable.add(r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
      }
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** The driver sent probe {@code uid} at {@code sentAtMs}. */
  public void registerProbe(long uid, long sentAtMs) {
    probeSentAt.put(uid, sentAtMs);
  }

  /** Whether every given probe address has applied a probe sent at or after {@code sinceMs}. */
  public boolean probesProgressedSince(List<String> probeAddresses, long sinceMs) {
    for (String a : probeAddresses) {
      if (probeProgress.getOrDefault(a, Long.MIN_VALUE) < sinceMs) {
        return false;
      }
    }
    return true;
  }

  /** The probe addresses that have not applied a probe sent at or after {@code sinceMs}. */
  public List<String> laggingProbes(List<String> probeAddresses, long sinceMs) {
    List<String> out = new ArrayList<>();
    for (String a : probeAddresses) {
      if (probeProgress.getOrDefault(a, Long.MIN_VALUE) < sinceMs) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * For the first probe of {@code address} sent at or after {@code sinceMs} that was applied: {sent
   * at, applied by the function at, read by this collector at}; null if none yet.
   */
  public long[] firstProbeSince(String address, long sinceMs) {
    synchronized (lock) {
      for (long[] t : probeTimes.getOrDefault(address, List.of())) {
        if (t[0] >= sinceMs) {
          return t.clone();
        }
      }
      return null;
    }
  }

  /** How many times each uid was applied so far. */
  public Map<Long, Integer> appliedUids() {
    synchronized (lock) {
      return new HashMap<>(appliedUids);
    }
  }

  public boolean applied(long uid) {
    synchronized (lock) {
      return appliedUids.containsKey(uid);
    }
  }

  /** Every event per address, in the order of the events topic. */
  public Map<String, List<FunctionEvent>> eventsByAddress() {
    synchronized (lock) {
      Map<String, List<FunctionEvent>> copy = new LinkedHashMap<>();
      eventsByAddress.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      return copy;
    }
  }

  /** The last verify event of {@code address} (any message), or null. */
  public FunctionEvent lastVerify(String address) {
    synchronized (lock) {
      List<FunctionEvent> events = eventsByAddress.getOrDefault(address, List.of());
      for (int i = events.size() - 1; i >= 0; i--) {
        if (events.get(i).isVerify()) {
          return events.get(i);
        }
      }
      return null;
    }
  }

  public List<EgressRecord> egress() {
    synchronized (lock) {
      return List.copyOf(egress);
    }
  }

  public List<DeadLetter> deadLetters() {
    synchronized (lock) {
      return List.copyOf(deadLetters);
    }
  }

  public List<String> unreadable() {
    synchronized (lock) {
      return List.copyOf(unreadable);
    }
  }

  public long records() {
    return records.get();
  }

  /** Wall-clock time of the last record read. */
  public long lastRecordAtMs() {
    return lastRecordAtMs;
  }

  /** Reads until nothing new arrived for {@code quiet} (or {@code max} passed). */
  public void awaitQuiet(Duration quiet, Duration max) {
    long deadline = System.currentTimeMillis() + max.toMillis();
    while (System.currentTimeMillis() < deadline
        && System.currentTimeMillis() - lastRecordAtMs < quiet.toMillis()) {
      sleep(100);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
