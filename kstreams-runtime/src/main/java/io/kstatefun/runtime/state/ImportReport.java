package io.kstatefun.runtime.state;

import java.time.Duration;

/**
 * What {@link StateImporter#importFile} wrote, in one committed transaction.
 *
 * @param applicationId the target application
 * @param partitions the address partitions the state was spread over
 * @param addresses addresses written
 * @param values state values written
 * @param timers delayed messages written
 * @param expiryChecks state expiry checks scheduled (one per address with a TTL'd value)
 * @param skippedTimers timers of the file not written ({@link ImportOptions.Mode#MERGE}: already
 *     pending in the target, or a cancellation token still pending for the same sender; in any
 *     mode: a token the file gives twice for the same sender)
 * @param deletedRecords target records deleted ({@link ImportOptions.Mode#REPLACE}, and the
 *     replaced expiry checks of {@link ImportOptions.Mode#MERGE})
 * @param records changelog records written in the transaction
 * @param alreadyImported this file had been imported into the target before: nothing was written
 * @param elapsed time from start to commit, validation and target read included
 */
public record ImportReport(
    String applicationId,
    int partitions,
    long addresses,
    long values,
    long timers,
    long expiryChecks,
    long skippedTimers,
    long deletedRecords,
    long records,
    boolean alreadyImported,
    Duration elapsed) {

  /** One line: what was imported where, and how fast. */
  public String summary() {
    if (alreadyImported) {
      return "state import: "
          + applicationId
          + " already holds this file (imported before); nothing written";
    }
    double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
    return String.format(
        java.util.Locale.ROOT,
        "state import: %d addresses, %d values, %d timers (%d expiry checks, %d timers skipped,"
            + " %d records deleted) into %s over %d partitions: %d records in one transaction,"
            + " %.1f s, %.0f addresses/s",
        addresses,
        values,
        timers,
        expiryChecks,
        skippedTimers,
        deletedRecords,
        applicationId,
        partitions,
        records,
        seconds,
        addresses / seconds);
  }
}
