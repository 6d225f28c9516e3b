package io.kstatefun.runtime.state;

import java.time.Duration;

/**
 * What {@link StateExporter#export} wrote.
 *
 * @param applicationId the exported application
 * @param addresses addresses written
 * @param values state values written
 * @param timers delayed messages written, mailbox messages included
 * @param mailboxMessages messages that were waiting in mailboxes, written as delayed messages due
 *     at the export time (see docs/state-files.md)
 * @param loopbackInFlight loopback records the application had not consumed yet (not in the file)
 * @param elapsed time taken
 */
public record ExportReport(
    String applicationId,
    long addresses,
    long values,
    long timers,
    long mailboxMessages,
    long loopbackInFlight,
    Duration elapsed) {

  /** One line: what was exported, and how fast. */
  public String summary() {
    double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
    return String.format(
            java.util.Locale.ROOT,
            "state export: %d addresses, %d values, %d timers (%d of them mailbox messages) from %s,"
                + " %.1f s, %.0f addresses/s",
            addresses,
            values,
            timers,
            mailboxMessages,
            applicationId,
            seconds,
            addresses / seconds)
        + (loopbackInFlight > 0
            ? "; WARNING: "
                + loopbackInFlight
                + " loopback records were not consumed yet and are not in the file"
            : "");
  }
}
