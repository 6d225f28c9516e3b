package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.routing.Address;

/**
 * How a remote call ended: the function's answer, or a failure after the client gave up.
 *
 * @param target the address called
 * @param requestId the id of the {@link Action.Invoke} that made the call
 * @param response the answer, or {@code null} on failure
 * @param failure why the call failed, or {@code null} on success
 * @param failureKind what kind of failure it was, or {@code null} on success
 * @param attempts how many HTTP requests were made
 */
public record CallOutcome(
    Address target,
    long requestId,
    FromFunction response,
    Throwable failure,
    FailureKind failureKind,
    int attempts) {

  /** How the dispatcher treats a failed call. */
  public enum FailureKind {
    /**
     * A retryable failure (connection, timeout, 5xx, 408, 429, TLS) that outlived the call budget.
     */
    RETRIES_EXHAUSTED,
    /** A failure that retrying cannot fix (4xx, wrong content type, no endpoint, ...). */
    TERMINAL,
    /** The function answered with something that is not a {@code FromFunction}. */
    MALFORMED_RESPONSE,
    /**
     * The request or the response is larger than the endpoint's {@code payload_max_bytes}. A batch
     * of several messages is split and sent again; a single message is dead-lettered.
     */
    PAYLOAD_TOO_LARGE
  }

  public static CallOutcome success(
      Address target, long requestId, FromFunction response, int attempts) {
    return new CallOutcome(target, requestId, response, null, null, attempts);
  }

  /** A terminal failure. */
  public static CallOutcome failure(
      Address target, long requestId, Throwable failure, int attempts) {
    return failure(target, requestId, failure, FailureKind.TERMINAL, attempts);
  }

  public static CallOutcome failure(
      Address target, long requestId, Throwable failure, FailureKind kind, int attempts) {
    return new CallOutcome(target, requestId, null, failure, kind, attempts);
  }

  public boolean succeeded() {
    return failure == null;
  }
}
