package io.kstatefun.sdk;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A message to a function: the target {@link Address} and a {@link TypedValue} (a type name and the
 * serialized value). Functions receive one per invocation and send them with {@link
 * Context#send(Message)}; build them with {@link MessageBuilder}.
 *
 * <p>Reading the value with {@link #as(Type)} checks that the message's type name is the type's
 * name, so a payload is never silently read as the wrong type. Use {@link #rawValue()} to read the
 * bytes whatever their type.
 */
public final class Message {
  private final Address target;
  private final TypedValue value;

  private Message(Address target, TypedValue value) {
    this.target = target;
    this.value = value;
  }

  /**
   * Creates a message from a protocol value; useful to forward a payload unchanged.
   *
   * @throws IllegalArgumentException if the value has no {@code has_value} flag
   */
  public static Message of(Address target, TypedValue value) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(value, "value");
    if (!value.getHasValue()) {
      throw new IllegalArgumentException(
          "A message needs a value; got a TypedValue without has_value for " + target);
    }
    return new Message(target, value);
  }

  /** The address this message is sent to (for a received message, the invoked address). */
  public Address targetAddress() {
    return target;
  }

  /** The name of the value's type as it appears on the wire. */
  public String valueTypeNameString() {
    return value.getTypename();
  }

  /**
   * The name of the value's type.
   *
   * @throws IllegalArgumentException if the wire type name is not {@code namespace/name}
   */
  public TypeName valueTypeName() {
    return TypeName.parse(value.getTypename());
  }

  /** The protocol value (type name, bytes and headers). */
  public TypedValue typedValue() {
    return value;
  }

  /**
   * The message's headers, in order, duplicate keys included; empty when it has none. A message
   * from a Kafka ingress carries the record headers its topic forwards ({@code forwardHeaders} in
   * the module); a message from a function carries what the sender set, and the runtime adds the
   * W3C {@code traceparent} when tracing is on.
   */
  public List<MessageHeader> headers() {
    return MessageHeader.fromProto(value.getMetadataList());
  }

  /** The value of the last header with {@code key} (Kafka's rule), if there is one. */
  public Optional<MessageHeader> lastHeader(String key) {
    List<TypedValue.Metadata> metadata = value.getMetadataList();
    for (int i = metadata.size() - 1; i >= 0; i--) {
      if (metadata.get(i).getKey().equals(key)) {
        return Optional.of(MessageHeader.fromProto(List.of(metadata.get(i))).get(0));
      }
    }
    return Optional.empty();
  }

  /** A copy of the serialized value. */
  public byte[] rawValue() {
    return value.getValue().toByteArray();
  }

  /** Whether the value's type name is {@code type}'s name. */
  public boolean is(Type<?> type) {
    return value.getTypename().equals(type.typeName().asString());
  }

  /**
   * Deserializes the value.
   *
   * @throws IllegalStateException if the value has another type name, or cannot be deserialized
   */
  public <T> T as(Type<T> type) {
    if (!is(type)) {
      throw new IllegalStateException(
          "Message to "
              + target
              + " holds a value of type '"
              + value.getTypename()
              + "', not "
              + type.typeName());
    }
    return type.typeSerializer().deserialize(value.getValue().toByteArray());
  }

  /** Whether the value is an {@code io.statefun.types/int}. */
  public boolean isInt() {
    return is(Types.integerType());
  }

  /** The value as an {@code io.statefun.types/int}. */
  public int asInt() {
    return as(Types.integerType());
  }

  /** Whether the value is an {@code io.statefun.types/long}. */
  public boolean isLong() {
    return is(Types.longType());
  }

  /** The value as an {@code io.statefun.types/long}. */
  public long asLong() {
    return as(Types.longType());
  }

  /** Whether the value is an {@code io.statefun.types/float}. */
  public boolean isFloat() {
    return is(Types.floatType());
  }

  /** The value as an {@code io.statefun.types/float}. */
  public float asFloat() {
    return as(Types.floatType());
  }

  /** Whether the value is an {@code io.statefun.types/double}. */
  public boolean isDouble() {
    return is(Types.doubleType());
  }

  /** The value as an {@code io.statefun.types/double}. */
  public double asDouble() {
    return as(Types.doubleType());
  }

  /** Whether the value is an {@code io.statefun.types/bool}. */
  public boolean isBoolean() {
    return is(Types.booleanType());
  }

  /** The value as an {@code io.statefun.types/bool}. */
  public boolean asBoolean() {
    return as(Types.booleanType());
  }

  /** Whether the value is an {@code io.statefun.types/string}. */
  public boolean isUtf8String() {
    return is(Types.stringType());
  }

  /** The value as an {@code io.statefun.types/string}. */
  public String asUtf8String() {
    return as(Types.stringType());
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Message other && target.equals(other.target) && value.equals(other.value));
  }

  @Override
  public int hashCode() {
    return Objects.hash(target, value);
  }

  @Override
  public String toString() {
    return "Message(to "
        + target
        + ", "
        + value.getTypename()
        + ", "
        + value.getValue().size()
        + " bytes)";
  }
}
