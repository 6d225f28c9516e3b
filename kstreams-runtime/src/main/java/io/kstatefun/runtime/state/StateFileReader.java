package io.kstatefun.runtime.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.runtime.internals.proto.StateFileEntry;
import io.kstatefun.runtime.internals.proto.StateFileHeader;
import io.kstatefun.runtime.internals.proto.StateFileTrailer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Reads a state file (docs/state-files.md) entry by entry: {@link #header} is read on open, {@link
 * #next} returns the address and timer entries and then {@code null} once the trailer is read and
 * its counts match the entries. A file without a trailer, with entries after it, or with counts
 * that do not match it is truncated or damaged: {@link #next} throws {@link StateFileException}.
 * Only a file read to its end is known to be complete.
 *
 * <p>The reader also computes the SHA-256 of the bytes it read ({@link #digest}), which the
 * importer uses to recognise a file it imported before.
 *
 * <p>Not thread-safe: one thread reads a file.
 */
public final class StateFileReader implements AutoCloseable {

  private final InputStream in;
  private final MessageDigest sha256;
  private final String name;
  private final StateFileHeader header;
  private long entries = 1;
  private long addresses;
  private long values;
  private long timers;
  private StateFileTrailer trailer;

  private StateFileReader(InputStream raw, String name) throws IOException {
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    this.in = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), sha256);
    this.name = name;
    StateFileEntry first = read();
    if (first == null || !first.hasHeader()) {
      raw.close();
      throw new StateFileException(
          name + " is not a kstatefun state file: it does not start with a state file header");
    }
    this.header = first.getHeader();
    if (header.getFormatVersion() != StateFileWriter.FORMAT_VERSION) {
      raw.close();
      throw new StateFileException(
          name
              + " has state file format version "
              + header.getFormatVersion()
              + "; this kstatefun reads version "
              + StateFileWriter.FORMAT_VERSION);
    }
  }

  /** Opens {@code file} and reads its header. */
  public static StateFileReader open(Path file) throws IOException {
    return new StateFileReader(Files.newInputStream(file), file.toString());
  }

  /** Reads from {@code in} (closed by {@link #close}); {@code name} is used in error messages. */
  public static StateFileReader from(InputStream in, String name) throws IOException {
    return new StateFileReader(in, name);
  }

  public StateFileHeader header() {
    return header;
  }

  /**
   * The next address or timer entry, or {@code null} after the trailer, which is then checked
   * against the entries read.
   *
   * @throws StateFileException if the file ends without a trailer, the counts do not match it, or
   *     an entry is not an address or timer
   */
  public StateFileEntry next() throws IOException {
    if (trailer != null) {
      return null;
    }
    StateFileEntry entry = read();
    if (entry == null) {
      throw new StateFileException(
          name
              + " is truncated: it ends after "
              + entries
              + " entries ("
              + addresses
              + " addresses, "
              + timers
              + " timers) without the trailer a complete file ends with");
    }
    entries++;
    switch (entry.getEntryCase()) {
      case ADDRESS -> {
        addresses++;
        values += entry.getAddress().getValuesCount();
        return entry;
      }
      case TIMER -> {
        timers++;
        return entry;
      }
      case TRAILER -> {
        StateFileTrailer t = entry.getTrailer();
        if (t.getAddresses() != addresses || t.getValues() != values || t.getTimers() != timers) {
          throw new StateFileException(
              name
                  + " is damaged: its trailer counts "
                  + t.getAddresses()
                  + " addresses, "
                  + t.getValues()
                  + " values, "
                  + t.getTimers()
                  + " timers, but it holds "
                  + addresses
                  + " addresses, "
                  + values
                  + " values, "
                  + timers
                  + " timers");
        }
        if (read() != null) {
          throw new StateFileException(
              name + " is damaged: it has entries after its trailer (entry " + entries + ")");
        }
        trailer = t;
        return null;
      }
      default ->
          throw new StateFileException(
              name + " is damaged: entry " + entries + " is a " + entry.getEntryCase());
    }
  }

  /** The trailer, once {@link #next} returned {@code null}. */
  public StateFileTrailer trailer() {
    if (trailer == null) {
      throw new IllegalStateException(name + " has not been read to its end");
    }
    return trailer;
  }

  /** The SHA-256 of the whole file, once {@link #next} returned {@code null}. */
  public byte[] digest() {
    trailer();
    return sha256.digest();
  }

  /** Reads {@code file} to its end and returns its trailer: a complete file's counts. */
  public static StateFileTrailer verify(Path file) throws IOException {
    try (StateFileReader reader = open(file)) {
      while (reader.next() != null) {
        // counts are checked against the trailer
      }
      return reader.trailer();
    }
  }

  private StateFileEntry read() throws IOException {
    try {
      return StateFileEntry.parseDelimitedFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new StateFileException(
          name + " is truncated or damaged at entry " + (entries + 1) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
