package io.kstatefun.sdk;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link Message} to a function.
 *
 * <pre>{@code
 * context.send(MessageBuilder.forAddress(GREETER, "alice").withValue("hello").build());
 * }</pre>
 */
public final class MessageBuilder {
  private final Address target;
  private TypedValue value;
  private final List<MessageHeader> headers = new ArrayList<>();

  private MessageBuilder(Address target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  /** A message to {@code functionType} with the given id. */
  public static MessageBuilder forAddress(TypeName functionType, String id) {
    return new MessageBuilder(new Address(functionType, id));
  }

  /** A message to {@code address}. */
  public static MessageBuilder forAddress(Address address) {
    return new MessageBuilder(address);
  }

  /** An {@code io.statefun.types/int} value. */
  public MessageBuilder withValue(int value) {
    return withValue(Types.integerType(), value);
  }

  /** An {@code io.statefun.types/long} value. */
  public MessageBuilder withValue(long value) {
    return withValue(Types.longType(), value);
  }

  /** An {@code io.statefun.types/float} value. */
  public MessageBuilder withValue(float value) {
    return withValue(Types.floatType(), value);
  }

  /** An {@code io.statefun.types/double} value. */
  public MessageBuilder withValue(double value) {
    return withValue(Types.doubleType(), value);
  }

  /** An {@code io.statefun.types/bool} value. */
  public MessageBuilder withValue(boolean value) {
    return withValue(Types.booleanType(), value);
  }

  /** An {@code io.statefun.types/string} value. */
  public MessageBuilder withValue(String value) {
    return withValue(Types.stringType(), value);
  }

  /** A value of any type. */
  public <T> MessageBuilder withValue(Type<T> type, T value) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(value, "value");
    this.value = typedValue(type, value);
    return this;
  }

  /**
   * Adds a header (headers keep their order; a key may repeat).
   *
   * @param key the key; {@code null} becomes {@code ""}
   * @param value the value; {@code null} for a null value (not the same as empty)
   */
  public MessageBuilder withHeader(String key, byte[] value) {
    headers.add(MessageHeader.of(key, value));
    return this;
  }

  /** Adds a header with a UTF-8 text value ({@code null} for a null value). */
  public MessageBuilder withUtf8Header(String key, String value) {
    headers.add(MessageHeader.ofUtf8(key, value));
    return this;
  }

  /** Adds headers, in order; e.g. {@code withHeaders(received.headers())} passes them on. */
  public MessageBuilder withHeaders(List<MessageHeader> headers) {
    this.headers.addAll(headers);
    return this;
  }

  /** Builds the message. */
  public Message build() {
    if (value == null) {
      throw new IllegalStateException("A message to " + target + " needs a value");
    }
    if (headers.isEmpty()) {
      return Message.of(target, value);
    }
    TypedValue.Builder b = value.toBuilder();
    for (MessageHeader header : headers) {
      b.addMetadata(header.toProto());
    }
    return Message.of(target, b.build());
  }

  static <T> TypedValue typedValue(Type<T> type, T value) {
    return TypedValue.newBuilder()
        .setTypename(type.typeName().asString())
        .setHasValue(true)
        .setValue(ByteString.copyFrom(type.typeSerializer().serialize(value)))
        .build();
  }
}
