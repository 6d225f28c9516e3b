package io.kstatefun.chaos.harness;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The faults of one round, chosen by the seed: which kinds, when (offset from the start of the
 * load), against which process, for how long, and with which parameter. Faults run one after the
 * other: a fault starts at its planned time or, if the previous one has not recovered yet, as soon
 * as it has.
 *
 * @param faults the faults in start order
 */
public record FaultPlan(List<Fault> faults) {

  /** The kinds of faults. */
  public enum Kind {
    /** kill -9 of a runtime instance, then a restart on the same state directory. */
    RUNTIME_KILL,
    /** SIGTERM of a runtime instance (clean shutdown), then a restart. */
    RUNTIME_SIGTERM,
    /** kill -9 of one Kafka broker, then a restart on the same log directory. */
    BROKER_KILL,
    /** kill -9 of a function server, then a restart (on a new port, behind the same proxy). */
    FUNCTION_KILL,
    /** A function server answers every request late. */
    FUNCTION_STALL,
    /** A function server answers a number of requests with HTTP 500. */
    HTTP_500_BURST,
    /** The proxy between runtimes and a function server adds latency. */
    PROXY_DELAY,
    /** The proxy resets every open connection and refuses new ones for a while. */
    PROXY_DROP;

    /** Whether the fault needs a cluster that survives the loss of a broker. */
    boolean needsReplicatedCluster() {
      return this == BROKER_KILL;
    }
  }

  /**
   * One planned fault.
   *
   * @param kind what
   * @param atMs when, from the start of the load
   * @param target runtime index, broker node id, or function kind index (by {@link Kind})
   * @param holdMs how long the fault lasts before it is healed
   * @param param the stall or delay in ms, or the number of HTTP 500 answers
   */
  public record Fault(Kind kind, long atMs, int target, long holdMs, long param) {
    @Override
    public String toString() {
      return kind
          + "(target "
          + target
          + ", at +"
          + atMs
          + " ms, hold "
          + holdMs
          + " ms"
          + (param > 0 ? ", param " + param : "")
          + ")";
    }
  }

  /**
   * Chooses the faults of a round.
   *
   * @param seed the round's seed
   * @param kinds the enabled kinds
   * @param count how many faults
   * @param windowStartMs earliest start (from the start of the load)
   * @param windowEndMs latest start
   * @param runtimes number of runtime instances
   * @param brokers number of brokers
   */
  public static FaultPlan choose(
      long seed,
      Set<Kind> kinds,
      int count,
      long windowStartMs,
      long windowEndMs,
      int runtimes,
      int brokers) {
    Random random = new Random(seed ^ 0x5DEECE66DL);
    List<Kind> usable = new ArrayList<>();
    for (Kind k : Kind.values()) {
      if (kinds.contains(k) && (!k.needsReplicatedCluster() || brokers >= 3)) {
        usable.add(k);
      }
    }
    List<Fault> faults = new ArrayList<>();
    if (usable.isEmpty()) {
      return new FaultPlan(List.of());
    }
    for (int i = 0; i < count; i++) {
      Kind kind = usable.get(random.nextInt(usable.size()));
      long at =
          windowStartMs + (long) (random.nextDouble() * Math.max(0, windowEndMs - windowStartMs));
      faults.add(
          switch (kind) {
            case RUNTIME_KILL ->
                new Fault(kind, at, random.nextInt(runtimes), between(random, 0, 5_000), 0);
            case RUNTIME_SIGTERM ->
                new Fault(kind, at, random.nextInt(runtimes), between(random, 0, 3_000), 0);
            case BROKER_KILL ->
                new Fault(kind, at, 1 + random.nextInt(brokers), between(random, 2_000, 15_000), 0);
            case FUNCTION_KILL ->
                new Fault(kind, at, random.nextInt(2), between(random, 500, 6_000), 0);
            case FUNCTION_STALL ->
                new Fault(
                    kind,
                    at,
                    random.nextInt(2),
                    between(random, 3_000, 10_000),
                    between(random, 500, 4_000));
            case HTTP_500_BURST ->
                new Fault(kind, at, random.nextInt(2), 0, between(random, 5, 60));
            case PROXY_DELAY ->
                new Fault(
                    kind,
                    at,
                    random.nextInt(2),
                    between(random, 3_000, 10_000),
                    between(random, 20, 500));
            case PROXY_DROP ->
                new Fault(kind, at, random.nextInt(2), between(random, 200, 5_000), 0);
          });
    }
    faults.sort(Comparator.comparingLong(Fault::atMs));
    return new FaultPlan(List.copyOf(faults));
  }

  private static long between(Random random, long min, long max) {
    return min + (long) (random.nextDouble() * (max - min));
  }
}
