package io.kstatefun.runtime.http;

import io.kstatefun.routing.Address;

/**
 * A remote call that failed for good: terminal, or retryable but out of budget.
 *
 * <p>The message names the function address, the URL, the attempt count and the last cause.
 */
public final class FunctionCallException extends RuntimeException {

  /** What kind of failure ended the call. */
  public enum Kind {
    CONNECT,
    TIMEOUT,
    HTTP_5XX,
    HTTP_4XX,
    WRONG_CONTENT_TYPE,
    MALFORMED_RESPONSE,
    PAYLOAD_TOO_LARGE,
    NO_ENDPOINT,
    OTHER
  }

  private final Kind kind;
  private final boolean retryable;
  private final int attempts;

  FunctionCallException(
      Kind kind, boolean retryable, int attempts, Address target, String url, String detail, Throwable cause) {
    super(
        kind
            + " calling "
            + target
            + " at "
            + url
            + " (attempt "
            + attempts
            + (retryable ? ", retry budget spent" : ", not retryable")
            + "): "
            + detail,
        cause);
    this.kind = kind;
    this.retryable = retryable;
    this.attempts = attempts;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the last failure was of a retryable kind (the budget ran out). */
  public boolean retryable() {
    return retryable;
  }

  public int attempts() {
    return attempts;
  }
}
