package io.kstatefun.chaos.harness;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one round.
 *
 * @param round its index in the run
 * @param seed its seed (replay: {@code -Dchaos.seed=<seed> -Dchaos.rounds=1})
 * @param config the round config's name
 * @param durationMs wall time of the whole round
 * @param faults the faults injected, with recovery times
 * @param violations the invariants broken (empty: passed)
 * @param cancelRaces deferred cancellations that raced with their due time (tolerated)
 * @param convergedMs from the end of the load (and last fault) until every expected message was
 *     applied; null if that did not happen within the bound
 * @param stats what was checked
 * @param error a harness failure (the round could not be judged), or null
 * @param logs where the processes' logs of the round are
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RoundResult(
    int round,
    long seed,
    String config,
    long durationMs,
    List<FaultRecord> faults,
    List<Violation> violations,
    int cancelRaces,
    Long convergedMs,
    Map<String, Long> stats,
    String error,
    String logs) {

  @JsonIgnore
  public boolean passed() {
    return error == null && violations.isEmpty();
  }

  /** One line for the build output. */
  public String outcome() {
    if (error != null) {
      return "HARNESS ERROR: " + error;
    }
    return violations.isEmpty()
        ? "PASSED"
        : "FAILED: " + violations.size() + " invariant(s) broken";
  }
}
