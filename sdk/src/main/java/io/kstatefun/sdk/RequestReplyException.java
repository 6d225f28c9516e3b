package io.kstatefun.sdk;

/**
 * Why a request could not be answered. The future returned by {@link RequestReplyHandler} fails
 * with one of the subclasses; the HTTP server maps them to status codes.
 *
 * <ul>
 *   <li>{@link MalformedRequestException}: the bytes are not a valid request (HTTP 400).
 *   <li>{@link UnknownFunctionTypeException}: no function is registered for the target (HTTP 404).
 *   <li>{@link FunctionInvocationException}: a function failed; the batch has no effects and the
 *       runtime retries it (HTTP 500).
 * </ul>
 */
public abstract class RequestReplyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RequestReplyException(String message, Throwable cause) {
    super(message, cause);
  }
}
