package io.kstatefun.chaos.harness;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What happened when a planned fault was injected. Times are milliseconds from the start of the
 * load.
 *
 * @param kind the fault kind
 * @param target what it hit, e.g. {@code runtime-2}, {@code broker-3}, {@code functions-ours}
 * @param plannedAtMs when it was planned
 * @param injectedAtMs when it was injected
 * @param healedAtMs when the harness undid it (restart done, mode reset)
 * @param recoveryMs from healed until every probe address applied a message sent after healing;
 *     null if that did not happen within the bound
 * @param outageMs from injected until recovered; null if not recovered
 * @param detail what the harness observed (exit codes, parameters)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FaultRecord(
    String kind,
    String target,
    long plannedAtMs,
    long injectedAtMs,
    long healedAtMs,
    Long recoveryMs,
    Long outageMs,
    String detail) {

  /** Whether progress resumed within the bound. */
  public boolean recovered() {
    return recoveryMs != null;
  }

  @Override
  public String toString() {
    return kind
        + " "
        + target
        + " at +"
        + injectedAtMs
        + " ms ("
        + detail
        + "), healed +"
        + healedAtMs
        + " ms, "
        + (recoveryMs == null
            ? "NOT RECOVERED"
            : "recovered in " + recoveryMs + " ms (outage " + outageMs + " ms)");
  }
}
