package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.DeadLetterReason;

/**
 * A record of a task's stores that cannot be read (for instance a changelog record that was damaged
 * or written by something else). {@link DispatchStores} throw it with enough to name and remove the
 * record; the {@link Dispatcher} dead-letters what it can recover (reason {@link
 * DeadLetterReason#CORRUPT_STORE_RECORD}), removes the record and goes on, so one bad record does
 * not fail its task over and over.
 */
public final class CorruptStoreRecordException extends RuntimeException {

  /** Which kind of record. */
  public enum Kind {
    MAILBOX_HEADER,
    MAILBOX_ENTRY,
    STATE,
    TIMER,
    TIMER_TOKEN
  }

  private final Kind kind;
  private final Address address;
  private final long seq;
  private final long dueMs;
  private final String token;
  private final byte[] value;

  private CorruptStoreRecordException(
      Kind kind,
      Address address,
      long seq,
      long dueMs,
      String token,
      byte[] value,
      Throwable cause) {
    super(
        describe(kind, address, seq, dueMs, token) + " cannot be read: " + cause.getMessage(),
        cause);
    this.kind = kind;
    this.address = address;
    this.seq = seq;
    this.dueMs = dueMs;
    this.token = token;
    this.value = value;
  }

  public static CorruptStoreRecordException header(Address address, byte[] value, Throwable cause) {
    return new CorruptStoreRecordException(Kind.MAILBOX_HEADER, address, 0, 0, null, value, cause);
  }

  public static CorruptStoreRecordException entry(
      Address address, long seq, byte[] value, Throwable cause) {
    return new CorruptStoreRecordException(Kind.MAILBOX_ENTRY, address, seq, 0, null, value, cause);
  }

  public static CorruptStoreRecordException state(Address address, byte[] value, Throwable cause) {
    return new CorruptStoreRecordException(Kind.STATE, address, 0, 0, null, value, cause);
  }

  /** A timer record, known by its key (due time, sequence); whose it is is inside the value. */
  public static CorruptStoreRecordException timer(
      long dueMs, long seq, byte[] value, Throwable cause) {
    return new CorruptStoreRecordException(Kind.TIMER, null, seq, dueMs, null, value, cause);
  }

  public static CorruptStoreRecordException token(
      Address sender, String token, byte[] value, Throwable cause) {
    return new CorruptStoreRecordException(Kind.TIMER_TOKEN, sender, 0, 0, token, value, cause);
  }

  public Kind kind() {
    return kind;
  }

  /** The address the record belongs to; {@code null} for a timer record. */
  public Address address() {
    return address;
  }

  /** The mailbox sequence number of an entry, or the sequence number of a timer. */
  public long seq() {
    return seq;
  }

  /** The due time of a timer record. */
  public long dueMs() {
    return dueMs;
  }

  /** The cancellation token of a token index record. */
  public String token() {
    return token;
  }

  /** The record's raw bytes. */
  public byte[] value() {
    return value;
  }

  private static String describe(Kind kind, Address address, long seq, long dueMs, String token) {
    return switch (kind) {
      case MAILBOX_HEADER -> "the mailbox header of " + address;
      case MAILBOX_ENTRY -> "mailbox entry " + seq + " of " + address;
      case STATE -> "the state of " + address;
      case TIMER -> "the timer due at " + dueMs + " ms with sequence number " + seq;
      case TIMER_TOKEN -> "the index of cancellation token '" + token + "' of " + address;
    };
  }
}
