package io.kstatefun.chaos.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The summary of a chaos run, written as JSON: rounds, faults by kind, violations by kind, recovery
 * times by fault kind, failing seeds and one line per round.
 *
 * @param config round config name
 * @param guarantee the runtimes' processing.guarantee
 * @param brokers Kafka brokers
 * @param baseSeed the run's seed (round i uses baseSeed + i)
 * @param rounds rounds run
 * @param passed rounds without violations
 * @param failed rounds with violations
 * @param harnessErrors rounds the harness could not complete
 * @param totalDurationMs wall time of all rounds
 * @param faultsByKind injected faults per kind
 * @param violations violations (instances) in all rounds
 * @param violationsByKind violations per invariant
 * @param recoveryMsByFault recovery times (healed until every probe address progressed) per fault
 *     kind
 * @param convergeMs time from the end of load and faults until every expected message was applied
 * @param messagesApplied messages applied (and checked) in all rounds
 * @param failingSeeds seeds of the rounds that failed or errored
 * @param perRound one line per round
 */
public record ChaosSummary(
    String config,
    String guarantee,
    int brokers,
    long baseSeed,
    int rounds,
    int passed,
    int failed,
    int harnessErrors,
    long totalDurationMs,
    Map<String, Integer> faultsByKind,
    int violations,
    Map<String, Integer> violationsByKind,
    Map<String, Stats> recoveryMsByFault,
    Stats convergeMs,
    long messagesApplied,
    List<Long> failingSeeds,
    List<String> perRound) {

  /**
   * Distribution of a duration in ms.
   *
   * @param n samples
   * @param missing cases that never finished within the bound
   */
  public record Stats(int n, int missing, long min, long p50, long p90, long max) {
    static Stats of(List<Long> values, int missing) {
      List<Long> v = new ArrayList<>(values);
      v.sort(Long::compare);
      if (v.isEmpty()) {
        return new Stats(0, missing, 0, 0, 0, 0);
      }
      return new Stats(
          v.size(),
          missing,
          v.get(0),
          v.get((v.size() - 1) / 2),
          v.get((int) Math.ceil(0.9 * v.size()) - 1),
          v.get(v.size() - 1));
    }
  }

  /** Summarizes the rounds of a run. */
  public static ChaosSummary of(
      RoundConfig config, int brokers, long baseSeed, List<RoundResult> results) {
    int passed = 0;
    int failed = 0;
    int errors = 0;
    long duration = 0;
    long applied = 0;
    int violationCount = 0;
    Map<String, Integer> faults = new TreeMap<>();
    Map<String, Integer> violations = new TreeMap<>();
    Map<String, List<Long>> recovery = new TreeMap<>();
    Map<String, Integer> notRecovered = new TreeMap<>();
    List<Long> converge = new ArrayList<>();
    int notConverged = 0;
    List<Long> failing = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    for (RoundResult r : results) {
      duration += r.durationMs();
      applied += r.stats().getOrDefault("messagesApplied", 0L);
      if (r.error() != null) {
        errors++;
        failing.add(r.seed());
      } else if (!r.violations().isEmpty()) {
        failed++;
        failing.add(r.seed());
      } else {
        passed++;
      }
      for (FaultRecord f : r.faults()) {
        faults.merge(f.kind(), 1, Integer::sum);
        recovery.computeIfAbsent(f.kind(), k -> new ArrayList<>());
        if (f.recoveryMs() != null) {
          recovery.get(f.kind()).add(f.recoveryMs());
        } else {
          notRecovered.merge(f.kind(), 1, Integer::sum);
        }
      }
      for (Violation v : r.violations()) {
        violations.merge(v.kind().name(), v.count(), Integer::sum);
        violationCount += v.count();
      }
      if (r.convergedMs() != null) {
        converge.add(r.convergedMs());
      } else if (r.error() == null) {
        notConverged++;
      }
      lines.add(
          "round "
              + r.round()
              + " seed "
              + r.seed()
              + ": "
              + r.outcome()
              + ", "
              + r.durationMs() / 1000
              + " s, "
              + r.stats().getOrDefault("messagesApplied", 0L)
              + " messages, faults "
              + r.faults().stream()
                  .map(
                      f ->
                          f.kind()
                              + (f.recoveryMs() == null
                                  ? "(no recovery)"
                                  : "(" + f.recoveryMs() + " ms)"))
                  .toList());
    }
    Map<String, Stats> recoveryStats = new TreeMap<>();
    recovery.forEach((k, v) -> recoveryStats.put(k, Stats.of(v, notRecovered.getOrDefault(k, 0))));
    return new ChaosSummary(
        config.name(),
        config.processingGuarantee(),
        brokers,
        baseSeed,
        results.size(),
        passed,
        failed,
        errors,
        duration,
        faults,
        violationCount,
        violations,
        recoveryStats,
        Stats.of(converge, notConverged),
        applied,
        failing,
        lines);
  }
}
