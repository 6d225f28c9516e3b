package io.kstatefun.routing;

import java.util.Objects;

/**
 * The address of one function instance: its {@link FunctionType} and its id.
 *
 * <p>{@link #toString()} renders {@code <namespace>/<name>/<id>}, e.g. {@code
 * com.example/greeter/alice}. The rendering is for logs and error messages only; ids may contain
 * {@code /}, so it is not meant to be parsed back.
 *
 * <p>The id may be any string, including the empty string, because that is what the wire protocol
 * allows; the ingress router rejects empty Kafka keys before they become ids.
 *
 * @param type the function type
 * @param id the instance id
 */
public record Address(FunctionType type, String id) {

  /** Validates that both components are present. */
  public Address {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(id, "id");
  }

  /** Converts to the wire representation. */
  public io.kstatefun.protocol.Address toProto() {
    return io.kstatefun.protocol.Address.newBuilder()
        .setNamespace(type.namespace())
        .setType(type.name())
        .setId(id)
        .build();
  }

  /**
   * Converts from the wire representation.
   *
   * @param proto an address received from a function
   * @return the address
   * @throws IllegalArgumentException if the namespace or type is empty or contains {@code /}
   */
  public static Address fromProto(io.kstatefun.protocol.Address proto) {
    Objects.requireNonNull(proto, "proto");
    return new Address(new FunctionType(proto.getNamespace(), proto.getType()), proto.getId());
  }

  /** Returns {@code <namespace>/<name>/<id>}. */
  @Override
  public String toString() {
    return type + "/" + id;
  }
}
