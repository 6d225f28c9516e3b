package io.kstatefun.runtime.state;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.state.ChangelogImport;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a state file into an application's state: every address's values into the state store's
 * changelog topic and every pending delayed message into the timer store's changelog topic, on the
 * partition the runtime's partitioner gives (by id, over the application's partition count), in
 * <b>one Kafka transaction</b>. The runtime restores its stores from these topics read_committed,
 * so it sees either none of an import or all of it.
 *
 * <p>Before it writes, the importer reads the whole file (a truncated or damaged file is refused
 * before anything is written), refuses an application whose consumer group has active members,
 * creates the changelog topics when missing (with the partitions the runtime will use), and reads
 * the target's state and timers: a target with any is refused unless {@link ImportOptions#mode}
 * says otherwise. Importing the same file again is recognised (the timer store keeps a marker with
 * the file's SHA-256) and writes nothing.
 *
 * <p>Threading: {@link #importFile} runs on the caller's thread and blocks until the transaction is
 * committed or aborted.
 */
public final class StateImporter {

  private StateImporter() {}

  /**
   * Imports {@code file} into the application {@code config} names ({@code application.id}, {@code
   * bootstrap.servers}, Kafka client security settings, {@code kstatefun.partitions}).
   *
   * @throws StateFileException if the file is truncated or damaged (nothing written)
   * @throws IllegalStateException if the application is running, the target is not empty (in {@link
   *     ImportOptions.Mode#EMPTY_TARGET}), or Kafka fails (the transaction is aborted)
   */
  public static ImportReport importFile(Path file, KStatefunConfig config, ImportOptions options)
      throws IOException {
    return new ChangelogImport(config, options).run(file);
  }
}
