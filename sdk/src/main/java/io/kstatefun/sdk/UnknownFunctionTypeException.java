package io.kstatefun.sdk;

import java.util.Collection;

/** The request targets a function type that is not in the {@link FunctionRegistry}. */
public final class UnknownFunctionTypeException extends RequestReplyException {
  private static final long serialVersionUID = 1L;

  private final transient Address address;

  /** Creates the exception for a request to {@code address}. */
  public UnknownFunctionTypeException(Address address, Collection<TypeName> registered) {
    super(
        "No function is registered for type "
            + address.type()
            + " (request for address "
            + address
            + "); this endpoint serves "
            + registered,
        null);
    this.address = address;
  }

  /** The requested function type. */
  public TypeName functionType() {
    return address.type();
  }

  /** The requested address. */
  public Address address() {
    return address;
  }
}
