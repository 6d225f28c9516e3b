package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.util.List;

/**
 * The dispatcher's tracing hooks. {@link #OFF} (the default) does nothing and allocates nothing:
 * the dispatcher asks {@link #enabled()} before it gathers anything for a span.
 *
 * <p>A trace context travels as the W3C {@code traceparent} header of a message ({@code
 * TypedValue.metadata}): the batch span of a function continues the trace of the first message of
 * the batch (unless it is a delayed message, which is only linked) and links to every message's
 * context; each message and Kafka record the function sends gets a producer span, child of the
 * batch span, whose context the runtime stamps on it unless the function set a {@code traceparent}
 * of its own (one copied from the batch's messages does not count).
 *
 * <p>Threading: {@link #startBatch} and the {@link BatchSpan} methods other than {@link
 * BatchSpan#startCall}'s result are called on the task's stream thread; the {@link
 * FunctionClient.CallTrace} of a call is used by HTTP client threads.
 */
public interface Tracing {

  /** No tracing. */
  Tracing OFF = new Tracing() {};

  /** The W3C trace context header. */
  String TRACEPARENT = "traceparent";

  /** Whether spans are made; when false every other method is never called. */
  default boolean enabled() {
    return false;
  }

  /**
   * Starts the span of a batch.
   *
   * @param target the invoked address
   * @param messages the batch's messages, in order
   * @return the span
   */
  default BatchSpan startBatch(Address target, List<Envelope> messages) {
    throw new UnsupportedOperationException("tracing is off");
  }

  /** The span of one batch, from its request to its answer. */
  interface BatchSpan {

    /**
     * Makes a producer span (started and ended now), child of this span, for one output.
     *
     * @param operation {@code send} (a message), {@code schedule} (a delayed message) or {@code
     *     publish} (a Kafka egress record)
     * @param destination the target function type or the topic
     * @return the producer span's {@code traceparent} value, or {@code null} when the span has no
     *     valid context (a no-op OpenTelemetry, e.g. {@code OTEL_SDK_DISABLED=true}): the output is
     *     then left as it is
     */
    String produce(String operation, String destination);

    /**
     * Whether {@code traceparent} is the trace context of one of the batch's messages: an output
     * that carries it had it copied from its input (e.g. all headers passed on), so the runtime
     * replaces it with the output's producer span rather than keeping it as the function's own.
     */
    boolean received(String traceparent);

    /** Starts the HTTP client span of the call, child of this span. */
    FunctionClient.CallTrace startCall();

    /**
     * Ends the span.
     *
     * @param error why the batch failed (dead-lettered), or {@code null} when it was applied
     */
    void end(String error);

    /**
     * Ends the span of a batch that is sent again in a new batch (span) without having failed: the
     * function asked for missing states, or the request was too large and is split.
     *
     * @param reason why
     */
    void endResent(String reason);
  }
}
