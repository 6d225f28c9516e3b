package io.kstatefun.runtime.state;

import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.StateFileEntry;
import io.kstatefun.runtime.internals.proto.StateFileHeader;
import io.kstatefun.runtime.internals.proto.StateFileTrailer;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a state file (docs/state-files.md): the header when created, then {@link #address} and
 * {@link #timer} entries in any order, and the trailer with their counts on {@link #close}. A file
 * written to a path appears under its name only when closed: it is written to {@code NAME.partial}
 * and renamed, so a crashed export never leaves a file that looks complete (and the trailer catches
 * one cut short some other way).
 *
 * <p>Not thread-safe: one thread writes a file.
 */
public final class StateFileWriter implements AutoCloseable {

  /** The format version this writer writes and {@link StateFileReader} reads. */
  public static final int FORMAT_VERSION = 1;

  /** {@link StateFileHeader#getSource()} of files written by {@code kstatefun state export}. */
  public static final String SOURCE_KSTATEFUN = "kstatefun";

  /** {@link StateFileHeader#getSource()} of files written by the StateFun savepoint import. */
  public static final String SOURCE_STATEFUN_SAVEPOINT = "statefun-savepoint";

  private final OutputStream out;
  private final Path partial;
  private final Path target;
  private long addresses;
  private long values;
  private long timers;
  private boolean closed;

  private StateFileWriter(OutputStream out, Path partial, Path target, StateFileHeader header)
      throws IOException {
    this.out = out;
    this.partial = partial;
    this.target = target;
    write(StateFileEntry.newBuilder().setHeader(header).build());
  }

  /**
   * Creates (or replaces) {@code file}; the header names where the state came from.
   *
   * @param source {@link #SOURCE_KSTATEFUN}, {@link #SOURCE_STATEFUN_SAVEPOINT} or another tool's
   *     name
   * @param sourceId the application id or savepoint path it came from
   */
  public static StateFileWriter create(Path file, String source, String sourceId)
      throws IOException {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
    return new StateFileWriter(out, partial, file, header(source, sourceId));
  }

  /** Writes to {@code out} (closed by {@link #close}); for tests and pipes. */
  public static StateFileWriter to(OutputStream out, String source, String sourceId)
      throws IOException {
    return new StateFileWriter(out, null, null, header(source, sourceId));
  }

  private static StateFileHeader header(String source, String sourceId) {
    return StateFileHeader.newBuilder()
        .setFormatVersion(FORMAT_VERSION)
        .setSource(source)
        .setSourceId(sourceId)
        .setCreatedAtMs(System.currentTimeMillis())
        .build();
  }

  /** Writes all state values of one address; an address must be written at most once. */
  public void address(AddressState state) throws IOException {
    write(StateFileEntry.newBuilder().setAddress(state).build());
    addresses++;
    values += state.getValuesCount();
  }

  /** Writes one pending delayed message. */
  public void timer(TimerEntry timer) throws IOException {
    write(StateFileEntry.newBuilder().setTimer(timer).build());
    timers++;
  }

  public long addresses() {
    return addresses;
  }

  public long values() {
    return values;
  }

  public long timers() {
    return timers;
  }

  private void write(StateFileEntry entry) throws IOException {
    if (closed) {
      throw new IllegalStateException("state file writer is closed");
    }
    entry.writeDelimitedTo(out);
  }

  /**
   * Writes the trailer and closes the file; a file written to a path gets its final name now.
   * Closing twice does nothing.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    write(
        StateFileEntry.newBuilder()
            .setTrailer(
                StateFileTrailer.newBuilder()
                    .setAddresses(addresses)
                    .setValues(values)
                    .setTimers(timers))
            .build());
    closed = true;
    out.close();
    if (target != null) {
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Leaves the file unfinished: closes it without a trailer and deletes the partial file. For a
   * writer whose producer failed.
   */
  public void abandon() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    out.close();
    if (partial != null) {
      Files.deleteIfExists(partial);
    }
  }
}
