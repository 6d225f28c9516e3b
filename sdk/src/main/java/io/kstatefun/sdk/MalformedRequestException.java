package io.kstatefun.sdk;

/** The request is not a valid serialized {@code ToFunction} batch. */
public final class MalformedRequestException extends RequestReplyException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public MalformedRequestException(String message, Throwable cause) {
    super(message, cause);
  }
}
