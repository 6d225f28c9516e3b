package io.kstatefun.sdk.internals;

import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.TypeName;

/** Conversions between the SDK's {@link Address} and the protocol's. */
public final class ProtocolAddresses {
  private ProtocolAddresses() {}

  /** The protocol form of {@code address}. */
  public static io.kstatefun.protocol.Address toProtocol(Address address) {
    return io.kstatefun.protocol.Address.newBuilder()
        .setNamespace(address.type().namespace())
        .setType(address.type().name())
        .setId(address.id())
        .build();
  }

  /**
   * The SDK form of a protocol address, or null for an absent (all-empty) address.
   *
   * @throws IllegalArgumentException if the namespace or type is empty while the other is not
   */
  public static Address fromProtocol(io.kstatefun.protocol.Address address) {
    if (address.getNamespace().isEmpty()
        && address.getType().isEmpty()
        && address.getId().isEmpty()) {
      return null;
    }
    return new Address(TypeName.of(address.getNamespace(), address.getType()), address.getId());
  }
}
