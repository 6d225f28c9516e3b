package io.kstatefun.chaos.workload;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a chaos function reports to the events topic (keyed by its address, so one address's events
 * keep their order), in the same transaction as its state change.
 *
 * <ul>
 *   <li>{@value #APPLIED}: message {@code uid} from {@code from} (sequence {@code seq}) was
 *       handled; it added {@code incs} and the counter is now {@code count}. {@code ts} is the
 *       function's wall clock when it handled the message.
 *   <li>{@value #VERIFY}: a verify command found the counter at {@code actual}; the driver expected
 *       {@code expected}.
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record FunctionEvent(
    String e,
    String fn,
    long uid,
    String from,
    long seq,
    int incs,
    long count,
    long ts,
    long expected,
    long actual) {

  public static final String APPLIED = "applied";
  public static final String VERIFY = "verify";

  public static FunctionEvent applied(FnAddress fn, ChaosMessage m, int incs, long count, long ts) {
    return new FunctionEvent(
        APPLIED, fn.toString(), m.uid(), m.from(), m.seq(), incs, count, ts, 0, 0);
  }

  public static FunctionEvent verify(FnAddress fn, long uid, long expected, long actual, long ts) {
    return new FunctionEvent(VERIFY, fn.toString(), uid, null, 0, 0, 0, ts, expected, actual);
  }

  @JsonIgnore
  public boolean isApplied() {
    return APPLIED.equals(e);
  }

  @JsonIgnore
  public boolean isVerify() {
    return VERIFY.equals(e);
  }
}
