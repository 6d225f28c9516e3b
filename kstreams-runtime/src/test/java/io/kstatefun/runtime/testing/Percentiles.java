package io.kstatefun.runtime.testing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** Nearest-rank percentiles of measured values, for reporting latencies in tests. */
public final class Percentiles {

  private final List<Long> sorted;

  public Percentiles(Collection<Long> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    sorted = new ArrayList<>(values);
    Collections.sort(sorted);
  }

  /** The value below or at which {@code p} percent of the values lie (nearest rank). */
  public long p(double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  public long min() {
    return sorted.get(0);
  }

  public long max() {
    return sorted.get(sorted.size() - 1);
  }

  public int count() {
    return sorted.size();
  }

  @Override
  public String toString() {
    return "n=" + count() + " min=" + min() + " p50=" + p(50) + " p99=" + p(99) + " max=" + max()
        + " ms";
  }
}
