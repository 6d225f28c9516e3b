package io.kstatefun.runtime.state;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link StateImporter} treats a target that already holds state, and how it reports progress.
 *
 * @param mode what to do when the target application already has state or timers
 * @param transactionTimeout the import transaction's {@code transaction.timeout.ms}; capped by the
 *     broker's {@code transaction.max.timeout.ms}
 * @param progress receives a progress line now and then on long imports (never null)
 */
public record ImportOptions(Mode mode, Duration transactionTimeout, Consumer<String> progress) {

  /** What happens to a target that already holds state or timers. */
  public enum Mode {
    /** Refuse to import into a target with any state or timer record (the default). */
    EMPTY_TARGET,
    /**
     * Keep the target's state and timers; an address in the file replaces that address's whole
     * state; a timer in the file that equals a pending one of the target (same message, caller, due
     * time and token) is not added again; a timer whose cancellation token is still pending for the
     * same sender is skipped (the pending one stays), as the runtime does.
     */
    MERGE,
    /**
     * Delete every state and timer record of the target, then write the file's: afterwards the
     * target holds exactly the file's state and timers. Mailboxes are not touched.
     */
    REPLACE
  }

  public ImportOptions {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(transactionTimeout, "transactionTimeout");
    Objects.requireNonNull(progress, "progress");
  }

  /** Empty target only, a 15-minute transaction timeout (Kafka's default maximum), no progress. */
  public static ImportOptions defaults() {
    return new ImportOptions(Mode.EMPTY_TARGET, Duration.ofMinutes(15), line -> {});
  }

  public ImportOptions withMode(Mode mode) {
    return new ImportOptions(mode, transactionTimeout, progress);
  }

  public ImportOptions withTransactionTimeout(Duration timeout) {
    return new ImportOptions(mode, timeout, progress);
  }

  public ImportOptions withProgress(Consumer<String> progress) {
    return new ImportOptions(mode, transactionTimeout, progress);
  }
}
