package io.kstatefun.runtime.internals.topology;

import org.apache.kafka.streams.errors.StreamsException;

/**
 * An ingress record could not be routed and its ingress's {@code onError} policy is {@code fail}:
 * the application must stop (as StateFun did) instead of replacing the stream thread, which would
 * only fail on the same record again.
 */
public final class IngressFailureException extends StreamsException {

  IngressFailureException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether {@code t} or one of its causes is an {@link IngressFailureException}. */
  public static boolean isCauseOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof IngressFailureException) {
        return true;
      }
    }
    return false;
  }
}
