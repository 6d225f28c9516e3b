package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable mailboxes of a task's addresses: per address a header {@code [head_seq, next_seq)}
 * and one entry per queued message. Messages are appended at {@code next_seq}; a batch is a prefix
 * {@code [head_seq, end)}, removed when its answer is applied or it is dead-lettered.
 *
 * <p>An unreadable header is replaced by the one the entries imply, and unreadable entries are left
 * out of a batch that is read for dead-lettering (see {@link UnreadableRecords}), so no readable
 * message is lost.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class Mailbox {

  private final DispatchStores stores;
  private final UnreadableRecords unreadable;
  private final long maxSize;
  private final Dispatcher.Listener listener;

  Mailbox(
      DispatchStores stores,
      UnreadableRecords unreadable,
      long maxSize,
      Dispatcher.Listener listener) {
    this.stores = stores;
    this.unreadable = unreadable;
    this.maxSize = maxSize;
    this.listener = listener;
  }

  /**
   * The mailbox header of {@code target}, or {@code null} when its mailbox is empty. A header that
   * cannot be read is dead-lettered, removed and replaced by the one the address's entries imply,
   * so no message is lost.
   */
  MailboxHeader header(Address target, List<Action> out) {
    try {
      return stores.header(target);
    } catch (CorruptStoreRecordException e) {
      unreadable.drop(e, out);
      MailboxHeader rebuilt = stores.headerFromEntries(target);
      if (rebuilt != null) {
        stores.putHeader(target, rebuilt);
      }
      return rebuilt;
    }
  }

  /**
   * Appends {@code envelope} to the mailbox of {@code target}.
   *
   * @return the new header, or {@code null} when the mailbox was full and the message was
   *     dead-lettered instead (reason {@link DeadLetterReason#MAILBOX_FULL})
   */
  MailboxHeader append(Address target, Envelope envelope, List<Action> out) {
    MailboxHeader header = header(target, out);
    long head = header == null ? 0 : header.getHeadSeq();
    long next = header == null ? 0 : header.getNextSeq();
    if (next - head >= maxSize) {
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.MAILBOX_FULL,
              "the mailbox of "
                  + target
                  + " already holds "
                  + (next - head)
                  + " messages (kstatefun.max.mailbox.size "
                  + maxSize
                  + ")",
              target,
              List.of(envelope),
              0));
      listener.deadLettered(target.type(), DeadLetterReason.MAILBOX_FULL, 1);
      return null;
    }
    stores.putEntry(target, next, envelope);
    MailboxHeader updated =
        MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(next + 1).build();
    stores.putHeader(target, updated);
    return updated;
  }

  /**
   * The messages {@code [head, end)} of {@code target}; entries that cannot be read are dropped.
   */
  List<Envelope> readBatch(Address target, long head, long end, List<Action> out) {
    List<Envelope> batch = new ArrayList<>((int) Math.min(end - head, 1024));
    for (long seq = head; seq < end; seq++) {
      try {
        Envelope envelope = stores.entry(target, seq);
        if (envelope != null) {
          batch.add(envelope);
        }
      } catch (CorruptStoreRecordException e) {
        unreadable.drop(e, out);
      }
    }
    return batch;
  }

  /** Removes the entries {@code [head, end)} from the mailbox; returns what is left, or null. */
  MailboxHeader removeBatch(Address target, long head, long end, List<Action> out) {
    for (long seq = head; seq < end; seq++) {
      stores.deleteEntry(target, seq);
    }
    MailboxHeader header = header(target, out);
    long next = header == null ? end : header.getNextSeq();
    if (next <= end) {
      stores.deleteHeader(target);
      return null;
    }
    MailboxHeader updated = MailboxHeader.newBuilder().setHeadSeq(end).setNextSeq(next).build();
    stores.putHeader(target, updated);
    return updated;
  }

  /** Whether {@code header} names queued messages. */
  static boolean hasMessages(MailboxHeader header) {
    return header != null && header.getNextSeq() > header.getHeadSeq();
  }

  /**
   * Addresses with a non-empty mailbox after {@code after} ({@code null}: from the first), in key
   * order.
   */
  List<Address> mailboxes(Address after, int max) {
    return stores.mailboxes(after, max);
  }
}
