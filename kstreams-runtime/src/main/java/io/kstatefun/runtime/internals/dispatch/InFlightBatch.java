package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.runtime.internals.proto.Origin;
import java.util.List;
import java.util.Set;

/**
 * The batch in flight of one address: the mailbox entries {@code [head, end)}, sent with request
 * {@code requestId}.
 *
 * <p>Immutable; {@link Admission} keeps one per address with a request in flight. The task's stream
 * thread writes that map; other threads may read it (the debug view of the HTTP API).
 *
 * @param negotiations how often this batch was sent again after a state negotiation
 * @param sentStates the state names the request carried
 * @param batchLimit the most messages a request for it may carry (lowered when a payload was too
 *     large)
 * @param origin where the first message of the batch that came from an ingress entered the system
 *     ({@code null} if none did): the messages the function sends in answer inherit it
 * @param sentAtMs when the request was sent (the dispatcher's clock), for the debug view
 * @param commonHeaders the headers every message of the batch carries alike: what the function
 *     sends without headers inherits them (see {@link OutgoingHeaders})
 * @param span the batch's trace span, or {@code null} when tracing is off
 */
record InFlightBatch(
    long requestId,
    long head,
    long end,
    int negotiations,
    Set<String> sentStates,
    int batchLimit,
    Origin origin,
    long sentAtMs,
    List<TypedValue.Metadata> commonHeaders,
    Tracing.BatchSpan span) {

  /** A batch without inherited headers or span. */
  InFlightBatch(
      long requestId,
      long head,
      long end,
      int negotiations,
      Set<String> sentStates,
      int batchLimit,
      Origin origin,
      long sentAtMs) {
    this(
        requestId,
        head,
        end,
        negotiations,
        sentStates,
        batchLimit,
        origin,
        sentAtMs,
        List.of(),
        null);
  }

  /** Number of messages in the batch. */
  int size() {
    return (int) (end - head);
  }
}
