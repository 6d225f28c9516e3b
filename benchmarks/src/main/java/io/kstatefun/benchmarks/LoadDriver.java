package io.kstatefun.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces the workload's messages to the ingress topic and reads the egress topic with {@code
 * read_committed}, recording every record's latency and checking exactly-once.
 *
 * <p>Timing is open loop: message {@code k} of a fixed-rate phase has the intended send time {@code
 * start + k / rate}, which travels in the payload; latency is measured from it, so a stall of the
 * producer, the broker or the system under test shows up in the latency instead of slowing the
 * offered load down. Bursts send as fast as the producer accepts, each message stamped with its
 * actual send time.
 *
 * <p>Threading: the caller's thread sends (all {@code send*} methods); one reader thread polls the
 * egress and owns the verifier until {@link #close()}.
 */
final class LoadDriver implements AutoCloseable {

  private final String ingressTopic;
  private final RunSpec spec;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> reader;
  private final Thread readerThread;
  private final String[] routes;
  private final byte[][] keyBytes;
  private final int[] sentPerRoot;
  private final ExactlyOnceVerifier verifier;
  private final LatencyRecorder latencies = new LatencyRecorder();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private volatile Throwable readerFailure;
  private volatile boolean stopping;
  private long index;
  private long sent;
  private long maxSendLagNanos;

  LoadDriver(String bootstrap, String ingressTopic, String egressTopic, RunSpec spec) {
    this.ingressTopic = ingressTopic;
    this.spec = spec;
    this.sentPerRoot = new int[spec.keys()];
    this.verifier = new ExactlyOnceVerifier(spec.keys(), spec.streamsPerKey());
    boolean perKeyRoute =
        spec.workload() == Workload.CHAIN || spec.workload() == Workload.SAME_ID_CHAIN;
    this.routes = perKeyRoute ? new String[spec.keys()] : null;
    String shared =
        perKeyRoute
            ? null
            : spec.workload().route(0, spec.hops(), spec.fanout(), spec.partitions());
    this.keyBytes = new byte[spec.keys()][];
    for (int i = 0; i < spec.keys(); i++) {
      keyBytes[i] = StreamKeys.root(i).getBytes(StandardCharsets.UTF_8);
      if (routes != null) {
        routes[i] = spec.workload().route(i, spec.hops(), spec.fanout(), spec.partitions());
      }
    }
    this.sharedRoute = shared;

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, spec.mode() == RunSpec.Mode.BURST ? 5 : 0);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-driver-producer");
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());

    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-driver-reader");
    this.reader = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : reader.partitionsFor(egressTopic, Duration.ofSeconds(30))) {
      partitions.add(new TopicPartition(egressTopic, info.partition()));
    }
    reader.assign(partitions);
    reader.seekToBeginning(partitions);
    for (TopicPartition tp : partitions) {
      reader.position(
          tp, Duration.ofSeconds(30)); // resolve now, not during the first measured poll
    }
    this.readerThread = new Thread(this::readLoop, "bench-egress-reader");
    readerThread.setDaemon(true);
    readerThread.start();
  }

  private final String sharedRoute;

  private void readLoop() {
    try {
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> records = reader.poll(Duration.ofMillis(50));
        if (records.isEmpty()) {
          continue;
        }
        long now = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          Payload.Parsed parsed;
          try {
            parsed = Payload.parse(r.value());
          } catch (IllegalArgumentException e) {
            verifier.malformed(key, e.getMessage());
            continue;
          }
          long count;
          try {
            count = parsed.restAsLong();
          } catch (NumberFormatException e) {
            verifier.malformed(key, "no counter in '" + parsed.rest() + "'");
            continue;
          }
          verifier.accept(key, parsed.seq(), count);
          latencies.record(parsed.sendNanos(), now);
        }
        received.addAndGet(records.count());
      }
    } catch (WakeupException e) {
      // closing
    } catch (Throwable t) {
      readerFailure = t;
    }
  }

  /** Sends one message of the next key, stamped with {@code sendNanos}. */
  private void sendOne(long sendNanos) {
    int key = (int) (index++ % spec.keys());
    int seq = ++sentPerRoot[key];
    String route = routes == null ? sharedRoute : routes[key];
    producer.send(
        new ProducerRecord<>(ingressTopic, keyBytes[key], Payload.encode(seq, sendNanos, route)),
        (md, e) -> {
          if (e != null) {
            sendErrors.incrementAndGet();
          } else {
            acked.incrementAndGet();
          }
        });
    sent++;
  }

  /**
   * Sends at {@code rate} msg/s for {@code seconds}, open loop from {@code startNanos}.
   *
   * @param stopEarly checked between messages; returning true ends the phase
   * @return the intended time after the last message (the phase's end)
   */
  long sendAtRate(
      double rate, double seconds, long startNanos, java.util.function.BooleanSupplier stopEarly) {
    long n = Math.round(rate * seconds);
    double period = 1e9 / rate;
    for (long k = 0; k < n; k++) {
      long intended = startNanos + (long) (k * period);
      long now = System.nanoTime();
      if (intended > now) {
        LockSupport.parkNanos(intended - now);
        now = System.nanoTime();
      }
      maxSendLagNanos = Math.max(maxSendLagNanos, now - intended);
      sendOne(intended);
      if ((k & 255) == 0 && stopEarly.getAsBoolean()) {
        return startNanos + (long) ((k + 1) * period);
      }
    }
    return startNanos + (long) (n * period);
  }

  /**
   * Sends {@code count} messages as fast as the producer takes them; returns the first send time.
   */
  long sendBurst(long count) {
    long first = System.nanoTime();
    for (long k = 0; k < count; k++) {
      sendOne(System.nanoTime());
    }
    producer.flush();
    return first;
  }

  void flush() {
    producer.flush();
  }

  /** Egress records expected for what was sent so far. */
  long expected() {
    return sent * spec.streamsPerKey();
  }

  long sent() {
    return sent;
  }

  long received() {
    return received.get();
  }

  long sendErrors() {
    return sendErrors.get();
  }

  double maxSendLagMs() {
    return maxSendLagNanos / 1e6;
  }

  LatencyRecorder latencies() {
    return latencies;
  }

  Throwable readerFailure() {
    return readerFailure;
  }

  /** Waits until everything sent so far came out; false on timeout. */
  boolean awaitAll(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.get() < expected() && System.nanoTime() < deadline && readerFailure == null) {
      Thread.sleep(20);
    }
    return received.get() >= expected();
  }

  /** Keeps reading for {@code quiet} to catch late duplicates. */
  void quiet(Duration quiet) throws InterruptedException {
    Thread.sleep(quiet.toMillis());
  }

  /** Stops the reader and returns the verifier's result. */
  ExactlyOnceVerifier.Result finish() throws InterruptedException {
    stopping = true;
    readerThread.join(10_000);
    return verifier.result(sentPerRoot);
  }

  @Override
  public void close() {
    stopping = true;
    try {
      readerThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
    reader.close(Duration.ofSeconds(5));
  }
}
