package io.kstatefun.sdk;

import java.util.Objects;

/**
 * The address of one function instance: its function type and its id. The state a function keeps is
 * scoped to its address.
 *
 * @param type the function type
 * @param id the instance id (for messages from a Kafka ingress, the record key)
 */
public record Address(TypeName type, String id) {

  /** Creates an address; neither part may be null. */
  public Address {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(id, "id");
  }

  /** Shorthand for {@code new Address(TypeName.of(namespace, name), id)}. */
  public static Address of(String namespace, String name, String id) {
    return new Address(TypeName.of(namespace, name), id);
  }

  /** {@code namespace/name/id}, the form used in error messages. */
  @Override
  public String toString() {
    return type.asString() + "/" + id;
  }
}
