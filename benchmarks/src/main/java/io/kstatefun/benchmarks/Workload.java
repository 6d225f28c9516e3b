package io.kstatefun.benchmarks;

/**
 * What a run sends through the system. Every workload ends in counters that emit {@code
 * seq,sendNanos,count} to the egress, so one verifier and one latency measure fit all.
 */
public enum Workload {
  /** ingress -> {@code bench/counter(k)} -> egress. The 1-hop counter. */
  COUNTER("counter", "counter"),
  /**
   * ingress -> {@code bench/chain} at {@code hops} different ids, each on the next partition (so
   * every hop after the first crosses the loopback topic) -> egress.
   */
  CHAIN("chain", "chain"),
  /**
   * ingress -> {@code bench/a(k)} -> {@code bench/b(k)} -> {@code bench/c(k)} -> egress: in-process
   * hops.
   */
  SAME_ID_CHAIN("same-id-chain", "a"),
  /**
   * ingress -> {@code bench/fanout(k)} -> {@code fanout} counters {@code k.0..k.N-1} -> egress
   * each.
   */
  FANOUT("fanout", "fanout"),
  /** The counter, taking 50 ms per invocation (asynchronously, on the function side). */
  SLOW("slow", "slow"),
  /** The counter with 10 KiB of extra state per address, read and rewritten by every invocation. */
  LARGE_STATE("large-state", "big"),
  /** The substrate baseline: a plain Kafka Streams EOS app counting in RocksDB (no kstatefun). */
  BASELINE("baseline", null);

  private final String label;
  private final String firstFunction;

  Workload(String label, String firstFunction) {
    this.label = label;
    this.firstFunction = firstFunction;
  }

  public String label() {
    return label;
  }

  /**
   * The function type name (in namespace {@code bench}) the ingress targets, or null for the
   * baseline.
   */
  public String firstFunction() {
    return firstFunction;
  }

  public static Workload parse(String s) {
    for (Workload w : values()) {
      if (w.label.equals(s) || w.name().equalsIgnoreCase(s)) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown workload '" + s + "'");
  }

  /** The route an ingress message for key {@code i} carries (see {@link Payload}). */
  public String route(int i, int hops, int fanout, int partitions) {
    switch (this) {
      case CHAIN -> {
        StringBuilder sb = new StringBuilder();
        for (int h = 1; h < hops; h++) {
          if (sb.length() > 0) {
            sb.append(';');
          }
          sb.append("chain@").append(StreamKeys.chainHop(i, h, partitions));
        }
        return sb.toString();
      }
      case SAME_ID_CHAIN -> {
        StringBuilder sb = new StringBuilder();
        String id = StreamKeys.root(i);
        for (int h = 1; h < hops; h++) {
          if (sb.length() > 0) {
            sb.append(';');
          }
          sb.append((char) ('a' + Math.min(h, 2))).append('@').append(id);
        }
        return sb.toString();
      }
      case FANOUT -> {
        return "*" + fanout;
      }
      default -> {
        return "";
      }
    }
  }
}
