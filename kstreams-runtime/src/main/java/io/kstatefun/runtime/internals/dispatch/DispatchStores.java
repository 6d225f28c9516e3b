package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import java.util.List;

/**
 * The durable storage of one task, as the {@link Dispatcher} sees it: each address's mailbox
 * (header + entries), its state, and the task's delayed messages.
 *
 * <p>In production this is backed by changelogged RocksDB stores, so every write here commits in
 * the same Kafka transaction as the task's outputs and input offsets. Tests use an in-memory
 * implementation.
 *
 * <p>A record that cannot be parsed makes a read throw {@link CorruptStoreRecordException}, naming
 * it so that the dispatcher can dead-letter and remove it.
 *
 * <p>Threading: used only by the thread that owns the task (the stream thread).
 */
public interface DispatchStores {

  /** The mailbox header of {@code address}, or {@code null} when its mailbox is empty. */
  MailboxHeader header(Address address);

  void putHeader(Address address, MailboxHeader header);

  void deleteHeader(Address address);

  /**
   * Addresses whose mailbox is not empty, in key order, starting after {@code after} ({@code null}:
   * from the first); at most {@code max}. Callers page through all mailboxes with it, so memory
   * stays bounded however many addresses have a backlog.
   */
  List<Address> mailboxes(Address after, int max);

  Envelope entry(Address address, long seq);

  /**
   * The header that the stored entries of {@code address} imply ({@code [lowest seq, highest seq +
   * 1)}), or {@code null} when it has none; writes nothing. For replacing a header that cannot be
   * read.
   */
  MailboxHeader headerFromEntries(Address address);

  void putEntry(Address address, long seq, Envelope envelope);

  void deleteEntry(Address address, long seq);

  /** The stored state of {@code address}, or {@code null} when it has none. */
  StoredState state(Address address);

  /**
   * The size in bytes of {@code address}'s stored state record (0 when it has none), without
   * parsing it: stores that keep serialized records answer from the record's length.
   */
  default long stateBytes(Address address) {
    StoredState state = state(address);
    return state == null ? 0 : state.getSerializedSize();
  }

  void putState(Address address, StoredState state);

  void deleteState(Address address);

  /** Stores a delayed message, keyed by its due time and sequence number. */
  void putTimer(PendingTimer timer);

  void deleteTimer(PendingTimer timer);

  /**
   * Delayed messages due at or before {@code nowMs}, in due-time then sequence order; at most
   * {@code max}.
   */
  List<PendingTimer> dueTimers(long nowMs, int max);

  /** The pending timer with this cancellation token for this sender, or {@code null}. */
  PendingTimer timerByToken(Address sender, String token);

  void putTimerToken(Address sender, String token, PendingTimer timer);

  void deleteTimerToken(Address sender, String token);

  /** Number of pending timers of this task (maintained incrementally). */
  long timerCount();

  /** A new timer sequence number, unique within the task and increasing. */
  long nextTimerSeq();

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE} when there is none. */
  long earliestTimerDue();
}
