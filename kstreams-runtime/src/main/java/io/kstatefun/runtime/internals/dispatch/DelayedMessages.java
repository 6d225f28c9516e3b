package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import java.util.List;

/**
 * The task's timer store and the delayed messages in it (StateFun's {@code sendAfter}): durable
 * timers of the <em>sender's</em> task, keyed and fired by due time, then scheduling order. A fired
 * message is delivered with the sender as its caller, in the same transaction as everything the
 * firing causes. The same store holds the expiry checks of {@link StateWriter}; {@link #due}
 * returns both kinds.
 *
 * <p>Cancellation tokens are scoped to the sender address: {@code (sender, token)} names at most
 * one pending delayed message. A cancellation removes it; cancelling an unknown, already fired or
 * already cancelled token is a no-op. A token may be reused once its message has fired or been
 * cancelled. Scheduling a message with a token that is still pending for the same sender does not
 * replace the pending one (StateFun failed the whole job in that case): the pending message is kept
 * and the new one is dead-lettered with reason {@link DeadLetterReason#INVALID_DELAYED_MESSAGE},
 * naming the token. Delayed messages beyond {@link Dispatcher.Limits#maxPendingTimers()} per task
 * are dead-lettered the same way.
 *
 * <p>Unreadable timer and token index records are dead-lettered and dropped ({@link
 * UnreadableRecords}).
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class DelayedMessages {

  private final DispatchStores stores;
  private final UnreadableRecords unreadable;
  private final Dispatcher.Limits limits;
  private final Dispatcher.Listener listener;

  DelayedMessages(
      DispatchStores stores,
      UnreadableRecords unreadable,
      Dispatcher.Limits limits,
      Dispatcher.Listener listener) {
    this.stores = stores;
    this.unreadable = unreadable;
    this.limits = limits;
    this.listener = listener;
  }

  /**
   * Stores {@code envelope}, which {@code sender} sends delayed, as a timer due at {@code dueMs}. A
   * {@code token} still pending for this sender, or a full timer store, dead-letters it instead
   * (reason {@link DeadLetterReason#INVALID_DELAYED_MESSAGE}); the pending one is kept.
   *
   * @param token the cancellation token, or empty for none
   */
  void schedule(Address sender, Envelope envelope, String token, long dueMs, List<Action> out) {
    if (!token.isEmpty() && timerByToken(sender, token, out) != null) {
      reject(
          sender,
          envelope,
          "a delayed message with cancellation token '"
              + token
              + "' is already pending for "
              + sender,
          out);
      return;
    }
    if (stores.timerCount() >= limits.maxPendingTimers()) {
      reject(
          sender,
          envelope,
          "the task already has "
              + stores.timerCount()
              + " pending delayed messages (limit "
              + limits.maxPendingTimers()
              + ")",
          out);
      return;
    }
    PendingTimer timer =
        PendingTimer.newBuilder()
            .setEnvelope(envelope)
            .setDueMs(dueMs)
            .setCancellationToken(token)
            .setSeq(stores.nextTimerSeq())
            .build();
    stores.putTimer(timer);
    if (!token.isEmpty()) {
      stores.putTimerToken(sender, token, timer);
    }
  }

  /** Removes the pending message with {@code token} of {@code sender}; a no-op if there is none. */
  void cancel(Address sender, String token, List<Action> out) {
    PendingTimer pending = timerByToken(sender, token, out);
    if (pending != null) {
      stores.deleteTimer(pending);
      stores.deleteTimerToken(sender, token);
    }
  }

  /**
   * Timers due at or before {@code now}, delayed messages and expiry checks, in firing order; at
   * most {@link Dispatcher.Limits#maxTimersPerRound()}. Unreadable timers are dropped.
   */
  List<PendingTimer> due(long now, List<Action> out) {
    while (true) {
      try {
        return stores.dueTimers(now, limits.maxTimersPerRound());
      } catch (CorruptStoreRecordException e) {
        unreadable.drop(e, out); // and read the due timers again, without it
      }
    }
  }

  /** Removes a timer that fires now. */
  void delete(PendingTimer timer) {
    stores.deleteTimer(timer);
  }

  /** A delayed message's timer fired (and is deleted): frees its token and returns the message. */
  Envelope fire(PendingTimer timer, long now) {
    Envelope envelope = timer.getEnvelope();
    if (!timer.getCancellationToken().isEmpty()) {
      stores.deleteTimerToken(Envelopes.caller(envelope), timer.getCancellationToken());
    }
    listener.timerFired(now - timer.getDueMs());
    return envelope;
  }

  /** Number of pending timers of the task (delayed messages and expiry checks). */
  long count() {
    return stores.timerCount();
  }

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE}. */
  long earliestDue() {
    return stores.earliestTimerDue();
  }

  /**
   * The pending timer with this token of {@code sender}; an index record that cannot be read is
   * dropped (null).
   */
  private PendingTimer timerByToken(Address sender, String token, List<Action> out) {
    try {
      return stores.timerByToken(sender, token);
    } catch (CorruptStoreRecordException e) {
      unreadable.drop(e, out);
      return null;
    }
  }

  private void reject(Address sender, Envelope envelope, String detail, List<Action> out) {
    out.add(
        new Action.DeadLetter(
            DeadLetterReason.INVALID_DELAYED_MESSAGE, detail, sender, List.of(envelope), 0));
    listener.deadLettered(sender.type(), DeadLetterReason.INVALID_DELAYED_MESSAGE, 1);
  }
}
