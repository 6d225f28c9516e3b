package io.kstatefun.runtime.dispatch;

import java.util.Set;

/**
 * The batch in flight of one address: the mailbox entries {@code [head, end)}, sent with request
 * {@code requestId}.
 *
 * <p>Immutable; {@link Admission} keeps one per address with a request in flight, on the task's
 * stream thread.
 *
 * @param negotiations how often this batch was sent again after a state negotiation
 * @param sentStates the state names the request carried
 * @param batchLimit the most messages a request for it may carry (lowered when a payload was too
 *     large)
 */
record InFlightBatch(long requestId, long head, long end, int negotiations, Set<String> sentStates, int batchLimit) {

  /** Number of messages in the batch. */
  int size() {
    return (int) (end - head);
  }
}
