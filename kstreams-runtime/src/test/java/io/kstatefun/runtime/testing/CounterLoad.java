package io.kstatefun.runtime.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Steady load for the hand-over ITs: a producer thread sends one {@link CounterWorkload} message
 * per key every {@code intervalMs} (the pacing is the scenario, not a wait), and a reader thread
 * collects the egress and, per id, the wall-clock times its outputs arrived.
 *
 * <p>Threading: the two threads own the producer and the reader between {@link #start()} and {@link
 * #stopProducing()} / {@link #stopReading()}, which join them; {@link #egress()} is a synchronized
 * list, {@link #arrivals()} is guarded by itself.
 */
public final class CounterLoad implements AutoCloseable {

  private final List<ConsumerRecord<byte[], byte[]>> egress =
      Collections.synchronizedList(new ArrayList<>());
  private final Map<String, List<Long>> arrivals = new HashMap<>();
  private final AtomicBoolean producing = new AtomicBoolean(true);
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final Thread producerThread;
  private final Thread readerThread;

  /**
   * @param workload the messages to send; sends are synchronized on it
   * @param producer sends to {@code topic}
   * @param topic the ingress topic
   * @param intervalMs the pause after each round of one message per key
   * @param reader reads the egress topic
   */
  public CounterLoad(
      CounterWorkload workload,
      KafkaProducer<byte[], byte[]> producer,
      String topic,
      long intervalMs,
      KafkaConsumer<byte[], byte[]> reader) {
    readerThread =
        new Thread(
            () -> {
              while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(50))) {
                  egress.add(r);
                  synchronized (arrivals) {
                    arrivals
                        .computeIfAbsent(KafkaIO.utf8(r.key()), k -> new ArrayList<>())
                        .add(System.currentTimeMillis());
                  }
                }
              }
            },
            "egress-reader");
    producerThread =
        new Thread(
            () -> {
              while (producing.get()) {
                synchronized (workload) {
                  workload.send(producer, topic, 1);
                }
                try {
                  Thread.sleep(intervalMs);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "ingress-producer");
  }

  /** Starts reading, then producing. */
  public void start() {
    readerThread.start();
    producerThread.start();
  }

  /** The egress records read so far (a synchronized list). */
  public List<ConsumerRecord<byte[], byte[]>> egress() {
    return egress;
  }

  /** Arrival times (ms) of the outputs per id, in order; synchronize on it to read it. */
  public Map<String, List<Long>> arrivals() {
    return arrivals;
  }

  /** Stops the producer thread and waits for it. */
  public void stopProducing() throws InterruptedException {
    producing.set(false);
    if (producerThread.isAlive()) {
      producerThread.join();
    }
  }

  /** Stops the reader thread and waits for it; the reader is the caller's again. */
  public void stopReading() throws InterruptedException {
    reading.set(false);
    if (readerThread.isAlive()) {
      readerThread.join();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopProducing();
    stopReading();
  }

  /**
   * The longest gap between consecutive {@code times} (sorted) that ends at or after {@code from}.
   */
  public static long longestGapAfter(List<Long> times, long from) {
    long longest = 0;
    Long previous = null;
    for (long t : times) {
      if (previous != null && t >= from) {
        longest = Math.max(longest, t - previous);
      }
      previous = t;
    }
    return longest;
  }
}
