package io.kstatefun.benchmarks;

import java.util.Arrays;

/**
 * Every egress record's intended send time, arrival time and latency, kept in growable arrays so
 * that percentiles are exact and any window of send times can be evaluated afterwards (a rate
 * ladder evaluates each step).
 *
 * <p>Threading: the egress reader thread records; other threads read through {@link #window}, which
 * copies under the same lock.
 */
public final class LatencyRecorder {

  private long[] sent = new long[1 << 16];
  private long[] arrived = new long[1 << 16];
  private int size;

  /** Records one arrival: intended send time and arrival time, both {@link System#nanoTime()}. */
  public synchronized void record(long sentNanos, long arrivedNanos) {
    if (size == sent.length) {
      sent = Arrays.copyOf(sent, size * 2);
      arrived = Arrays.copyOf(arrived, size * 2);
    }
    sent[size] = sentNanos;
    arrived[size] = arrivedNanos;
    size++;
  }

  public synchronized int size() {
    return size;
  }

  /** The records whose intended send time lies in {@code [fromNanos, toNanos)}. */
  public synchronized Window window(long fromNanos, long toNanos) {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (sent[i] >= fromNanos && sent[i] < toNanos) {
        n++;
      }
    }
    long[] latencies = new long[n];
    long lastArrival = Long.MIN_VALUE;
    int j = 0;
    for (int i = 0; i < size; i++) {
      if (sent[i] >= fromNanos && sent[i] < toNanos) {
        latencies[j++] = arrived[i] - sent[i];
        lastArrival = Math.max(lastArrival, arrived[i]);
      }
    }
    Arrays.sort(latencies);
    return new Window(latencies, lastArrival);
  }

  /** Latencies (sorted, nanoseconds) of a window of send times and its last arrival. */
  public static final class Window {
    private final long[] sortedNanos;
    private final long lastArrivalNanos;

    Window(long[] sortedNanos, long lastArrivalNanos) {
      this.sortedNanos = sortedNanos;
      this.lastArrivalNanos = lastArrivalNanos;
    }

    public int count() {
      return sortedNanos.length;
    }

    /** The arrival time of the window's last record, or {@code Long.MIN_VALUE} if empty. */
    public long lastArrivalNanos() {
      return lastArrivalNanos;
    }

    /** The nearest-rank percentile in milliseconds ({@code q} in [0, 1]); NaN if empty. */
    public double percentileMs(double q) {
      if (sortedNanos.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(q * sortedNanos.length);
      int index = Math.min(sortedNanos.length - 1, Math.max(0, rank - 1));
      return sortedNanos[index] / 1e6;
    }

    public double maxMs() {
      return sortedNanos.length == 0 ? Double.NaN : sortedNanos[sortedNanos.length - 1] / 1e6;
    }

    public double meanMs() {
      if (sortedNanos.length == 0) {
        return Double.NaN;
      }
      double sum = 0;
      for (long l : sortedNanos) {
        sum += l;
      }
      return sum / sortedNanos.length / 1e6;
    }
  }
}
