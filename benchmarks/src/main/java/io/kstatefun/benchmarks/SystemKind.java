package io.kstatefun.benchmarks;

import java.util.Locale;

/**
 * The system a run measures: kstatefun (or, with {@link Workload#BASELINE}, the plain Kafka Streams
 * baseline), or a peer started next to it on the same broker, driven and verified the same way.
 */
public enum SystemKind {
  /** kstatefun, or the baseline when the workload is {@link Workload#BASELINE}. */
  KSTATEFUN,
  /** Restate 1.7 (single node) with the benchmark service in Node.js: see {@link RestatePeer}. */
  RESTATE,
  /**
   * Apache Flink StateFun 3.3.0 (Flink MiniCluster, remote functions): see {@link StatefunPeer}.
   */
  STATEFUN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static SystemKind parse(String s) {
    for (SystemKind k : values()) {
      if (k.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown system '" + s + "' (kstatefun, restate or statefun)");
  }

  /** True for the systems that are not kstatefun: they run the counter and the chain only. */
  public boolean isPeer() {
    return this != KSTATEFUN;
  }
}
