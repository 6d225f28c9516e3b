package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.WorkloadGenerator;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * The shape of a round: cluster size, workload size, load duration, number of faults and the bounds
 * the round is judged by. {@link #SHORT} fits the default build (a couple of minutes); {@link
 * #FULL} is the chaos profile's round.
 *
 * @param name {@code short} or {@code full}
 * @param brokers Kafka brokers (3: replication factor 3, min ISR 2; 1: no broker faults)
 * @param runtimes runtime instances
 * @param partitions kstatefun partitions (loopback topic)
 * @param workload the generator's parameters
 * @param load how long the workload is spread over
 * @param minFaults fewest faults per round
 * @param maxFaults most faults per round
 * @param faultKinds which faults may be chosen
 * @param probeInterval how often every probe address gets a message
 * @param recoveryBound progress must resume this soon after a fault is healed (broker kills: at
 *     least {@link #BROKER_KILL_RECOVERY_BOUND})
 * @param convergeBound every expected message must be applied this soon after the load (and the
 *     last fault) ended
 * @param processingGuarantee Kafka Streams' processing.guarantee of the runtimes
 */
public record RoundConfig(
    String name,
    int brokers,
    int runtimes,
    int partitions,
    WorkloadGenerator.Params workload,
    Duration load,
    int minFaults,
    int maxFaults,
    Set<FaultPlan.Kind> faultKinds,
    Duration probeInterval,
    Duration recoveryBound,
    Duration convergeBound,
    String processingGuarantee) {

  /** A deferred cancellation that ran this close to its message's due time may lose the race. */
  public static final long CANCEL_RACE_MARGIN_MS = 10_000;

  /**
   * Recovery bound after a broker kill. Measured here: after a broker is back, the runtimes'
   * transactional producers keep getting CONCURRENT_TRANSACTIONS (transaction.version 2) and the
   * stream threads block in flush()/sendOffsetsToTransaction() for 60-200 s; see README.md.
   */
  public static final Duration BROKER_KILL_RECOVERY_BOUND = Duration.ofSeconds(300);

  /** How soon progress must resume after a fault of this kind is healed. */
  public Duration recoveryBound(FaultPlan.Kind kind) {
    return kind == FaultPlan.Kind.BROKER_KILL
            && BROKER_KILL_RECOVERY_BOUND.compareTo(recoveryBound) > 0
        ? BROKER_KILL_RECOVERY_BOUND
        : recoveryBound;
  }

  public RoundConfig {
    faultKinds = Set.copyOf(faultKinds);
  }

  /** The default build's round: 1 broker, 2 runtimes, 2-3 faults, about 2 minutes. */
  public static final RoundConfig SHORT =
      new RoundConfig(
          "short",
          1,
          2,
          8,
          new WorkloadGenerator.Params(6, 120, 2, 4, 100, 2_000, 15_000, 40),
          Duration.ofSeconds(20),
          2,
          3,
          EnumSet.allOf(FaultPlan.Kind.class),
          Duration.ofSeconds(2),
          Duration.ofSeconds(120),
          Duration.ofSeconds(180),
          "exactly_once_v2");

  /**
   * The chaos profile's round: 3 brokers, 2 runtimes, 3-6 faults over 40 s of load, about 90 s a
   * round on an idle machine. The bounds are generous because the machines this runs on are shared
   * and often overloaded (load average 20+ on 2 cores was seen); the recovery times are reported
   * either way.
   */
  public static final RoundConfig FULL =
      new RoundConfig(
          "full",
          3,
          2,
          8,
          new WorkloadGenerator.Params(10, 140, 3, 4, 100, 3_000, 20_000, 45),
          Duration.ofSeconds(40),
          3,
          6,
          EnumSet.allOf(FaultPlan.Kind.class),
          Duration.ofSeconds(3),
          Duration.ofSeconds(300),
          Duration.ofSeconds(300),
          "exactly_once_v2");

  public static RoundConfig named(String name) {
    return switch (name) {
      case "short" -> SHORT;
      case "full" -> FULL;
      default ->
          throw new IllegalArgumentException(
              "chaos.length must be 'short' or 'full', not '" + name + "'");
    };
  }

  public RoundConfig withBrokers(int n) {
    return new RoundConfig(
        name,
        n,
        runtimes,
        partitions,
        workload,
        load,
        minFaults,
        maxFaults,
        faultKinds,
        probeInterval,
        recoveryBound,
        convergeBound,
        processingGuarantee);
  }

  public RoundConfig withFaultKinds(Set<FaultPlan.Kind> kinds) {
    return new RoundConfig(
        name,
        brokers,
        runtimes,
        partitions,
        workload,
        load,
        minFaults,
        maxFaults,
        kinds,
        probeInterval,
        recoveryBound,
        convergeBound,
        processingGuarantee);
  }

  public RoundConfig withProcessingGuarantee(String guarantee) {
    return new RoundConfig(
        name,
        brokers,
        runtimes,
        partitions,
        workload,
        load,
        minFaults,
        maxFaults,
        faultKinds,
        probeInterval,
        recoveryBound,
        convergeBound,
        guarantee);
  }

  /** Replication factor of every topic: 3 on 3+ brokers, else the broker count. */
  public int replicationFactor() {
    return Math.min(3, brokers);
  }
}
