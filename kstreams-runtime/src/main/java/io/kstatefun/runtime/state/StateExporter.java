package io.kstatefun.runtime.state;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.state.ChangelogExport;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes an application's function state and pending timers to a state file. It reads the state,
 * timer and mailbox stores' changelog topics read_committed up to their end offsets, partition by
 * partition, keeping the last value of each key (a tombstone deletes it), as Kafka Streams restores
 * them. Timer store bookkeeping (counts, sequence numbers, the token index, expiry checks) is not
 * exported: the importer rebuilds it. Messages still waiting in mailboxes are exported as delayed
 * messages due at the export time, so nothing accepted by the application is lost.
 *
 * <p>An application whose consumer group has active members is refused unless {@link
 * ExportOptions#force}.
 *
 * <p>Threading: {@link #export} runs on the caller's thread.
 */
public final class StateExporter {

  private StateExporter() {}

  /**
   * Exports the application {@code config} names to {@code file}; the file appears only once it is
   * complete.
   *
   * @throws IllegalStateException if the application is running (without force), a record cannot be
   *     read (naming topic, partition and key), or Kafka fails
   */
  public static ExportReport export(Path file, KStatefunConfig config, ExportOptions options)
      throws IOException {
    return new ChangelogExport(config, options).run(file);
  }
}
