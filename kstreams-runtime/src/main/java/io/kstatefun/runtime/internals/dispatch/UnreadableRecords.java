package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import java.util.List;

/**
 * What the dispatcher does with a store record that cannot be read ({@link
 * CorruptStoreRecordException}): it does not fail the task, but removes the record from the store
 * and dead-letters its raw bytes (reason {@link DeadLetterReason#CORRUPT_STORE_RECORD}).
 *
 * <p>The parts that read the stores decide what else follows: {@link Mailbox} rebuilds an
 * unreadable header from the entries and leaves unreadable entries out of a batch; a batch that
 * needed an unreadable entry or state is dead-lettered by the {@link Dispatcher} and the address
 * goes on with its next batch (with empty state, if the state was unreadable); an unreadable timer
 * or token index record is dropped ({@link DelayedMessages}).
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class UnreadableRecords {

  private final DispatchStores stores;

  UnreadableRecords(DispatchStores stores) {
    this.stores = stores;
  }

  /** Removes a record that cannot be read from the store and dead-letters its raw bytes. */
  void drop(CorruptStoreRecordException e, List<Action> out) {
    switch (e.kind()) {
      case MAILBOX_HEADER -> stores.deleteHeader(e.address());
      case MAILBOX_ENTRY -> stores.deleteEntry(e.address(), e.seq());
      case STATE -> stores.deleteState(e.address());
      case TIMER ->
          stores.deleteTimer(PendingTimer.newBuilder().setDueMs(e.dueMs()).setSeq(e.seq()).build());
      case TIMER_TOKEN -> stores.deleteTimerToken(e.address(), e.token());
    }
    out.add(new Action.DeadLetterStoreRecord(e));
  }
}
