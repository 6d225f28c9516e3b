package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import java.util.List;

/**
 * Ends a batch: removes it from the mailbox once its answer is applied, or dead-letters it (a
 * failed call, an invalid answer, a record it needed cannot be read). Either way the address's slot
 * is given back; after a failure the address goes on with its next batch.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class Batches {

  private final Mailbox mailbox;
  private final Admission admission;
  private final UnreadableRecords unreadable;
  private final Dispatcher.Listener listener;

  Batches(
      Mailbox mailbox,
      Admission admission,
      UnreadableRecords unreadable,
      Dispatcher.Listener listener) {
    this.mailbox = mailbox;
    this.admission = admission;
    this.unreadable = unreadable;
    this.listener = listener;
  }

  /**
   * The request of {@code flight} is over: gives its slot back and removes the batch from the
   * mailbox.
   *
   * @return what is left of the mailbox, or {@code null} when it is empty
   */
  MailboxHeader complete(Address target, InFlightBatch flight, List<Action> out) {
    admission.end(target);
    return mailbox.removeBatch(target, flight.head(), flight.end(), out);
  }

  /**
   * Dead-letters the batch of {@code flight}, removes it and makes the address ready for its next
   * batch.
   *
   * @param errorClass the class of the exception behind the failure, or {@code null}
   */
  void fail(
      Address target,
      InFlightBatch flight,
      DeadLetterReason reason,
      String detail,
      int attempts,
      String errorClass,
      List<Action> out) {
    List<Envelope> batch = mailbox.readBatch(target, flight.head(), flight.end(), out);
    out.add(new Action.DeadLetter(reason, detail, target, batch, attempts, errorClass));
    listener.deadLettered(target.type(), reason, batch.size());
    MailboxHeader header = complete(target, flight, out);
    if (header != null) {
      admission.ready(target, header, false, out);
    }
  }

  /**
   * The call of {@code flight} failed: dead-letters its batch, naming the failure and its causes.
   */
  void failCall(
      Address target,
      InFlightBatch flight,
      DeadLetterReason reason,
      CallOutcome outcome,
      List<Action> out) {
    String errorClass = outcome.failure().getClass().getName();
    fail(target, flight, reason, describe(outcome.failure()), outcome.attempts(), errorClass, out);
  }

  /**
   * Sending {@code target}'s batch {@code [head, end)} needed a record that cannot be read (an
   * entry of the batch, or the address's state): that record is dead-lettered as raw bytes and
   * removed, the batch's messages are dead-lettered (those that cannot be read as raw bytes), and
   * the address goes on with its next batch. Gives back the slot the caller held for the batch.
   */
  void failUnreadable(
      Address target, long head, long end, CorruptStoreRecordException error, List<Action> out) {
    admission.release(target.type());
    unreadable.drop(error, out);
    List<Envelope> batch = mailbox.readBatch(target, head, end, out);
    if (!batch.isEmpty()) {
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.CORRUPT_STORE_RECORD,
              "a record this batch needed cannot be read: " + error.getMessage(),
              target,
              batch,
              0,
              error.getCause() == null ? null : error.getCause().getClass().getName()));
      listener.deadLettered(target.type(), DeadLetterReason.CORRUPT_STORE_RECORD, batch.size());
    }
    MailboxHeader header = mailbox.removeBatch(target, head, end, out);
    if (header != null) {
      admission.ready(target, header, false, out);
    }
  }

  private static String describe(Throwable failure) {
    StringBuilder sb = new StringBuilder();
    Throwable t = failure;
    while (t != null && sb.length() < 1000) {
      if (sb.length() > 0) {
        sb.append("; caused by ");
      }
      sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
      t = t.getCause() == t ? null : t.getCause();
    }
    return sb.toString();
  }
}
