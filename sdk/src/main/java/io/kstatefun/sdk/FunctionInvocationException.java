package io.kstatefun.sdk;

/**
 * A function failed while handling a batch: it threw, completed its future exceptionally, returned
 * a null future, or its supplier failed. The message names the function type, the address, and the
 * position of the failing message in the batch; the cause is the function's exception. The batch
 * has no effects.
 */
public final class FunctionInvocationException extends RequestReplyException {
  private static final long serialVersionUID = 1L;

  private final transient Address address;

  /** Creates the exception for a failure at {@code address}. */
  public FunctionInvocationException(Address address, String message, Throwable cause) {
    super(message, cause);
    this.address = address;
  }

  /** The function type that failed. */
  public TypeName functionType() {
    return address.type();
  }

  /** The address that was invoked. */
  public Address address() {
    return address;
  }
}
