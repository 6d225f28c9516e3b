package io.kstatefun.runtime.internals.http;

import io.kstatefun.routing.Address;

/**
 * A remote call that failed for good: terminal, or retryable but out of budget.
 *
 * <p>The message names the function address, the URL, the attempt count and the last cause.
 */
public final class FunctionCallException extends RuntimeException {

  /** What kind of failure ended the call, and whether it is retried within the call budget. */
  public enum Kind {
    /** Connection refused, reset or closed; DNS failure. Retryable. */
    CONNECT(true),
    /** The attempt outlived the rest of the call budget (or the connect timeout). Retryable. */
    TIMEOUT(true),
    /**
     * The TLS handshake failed (untrusted or missing certificate, host name mismatch). Retryable.
     */
    TLS(true),
    /** HTTP 5xx, 408 or 429. Retryable. */
    HTTP_5XX(true),
    /** Any other HTTP status that is not 2xx. Terminal. */
    HTTP_4XX(false),
    /** A 2xx answer with a body whose content type is not application/octet-stream. Terminal. */
    WRONG_CONTENT_TYPE(false),
    /** A 2xx answer whose body is not a FromFunction message. Terminal. */
    MALFORMED_RESPONSE(false),
    /**
     * The request or the response exceeds payload_max_bytes. Terminal for the batch (it is split).
     */
    PAYLOAD_TOO_LARGE(false),
    /** No endpoint serves the function type. Terminal. */
    NO_ENDPOINT(false),
    /** Anything else without an HTTP answer. Retryable. */
    OTHER(true);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    /** Whether failures of this kind are retried within the call budget. */
    public boolean retryable() {
      return retryable;
    }
  }

  private final Kind kind;
  private final boolean retryable;
  private final int attempts;

  FunctionCallException(
      Kind kind,
      boolean retryable,
      int attempts,
      Address target,
      String url,
      String detail,
      Throwable cause) {
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
