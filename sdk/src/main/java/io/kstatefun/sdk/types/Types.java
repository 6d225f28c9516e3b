package io.kstatefun.sdk.types;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.kstatefun.protocol.types.BooleanWrapper;
import io.kstatefun.protocol.types.DoubleWrapper;
import io.kstatefun.protocol.types.FloatWrapper;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.LongWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import io.kstatefun.sdk.TypeName;
import java.io.IOException;
import java.util.Objects;

/**
 * Ready-made {@link Type}s.
 *
 * <ul>
 *   <li>The StateFun built-ins ({@code io.statefun.types/bool|int|long|float|double|string}),
 *       encoded as the StateFun protobuf wrapper messages, so values are readable by every StateFun
 *       SDK. A Kafka record whose value type is {@code io.statefun.types/string} must therefore
 *       hold a serialized {@code StringWrapper}, not raw UTF-8.
 *   <li>{@link #simpleType}: any type from a serializer/deserializer pair.
 *   <li>{@link #jsonType}: JSON through Jackson.
 *   <li>{@link #protobufType}: protobuf messages.
 * </ul>
 */
public final class Types {

  /** {@code io.statefun.types/bool}. */
  public static final TypeName BOOLEAN_TYPENAME = TypeName.of("io.statefun.types", "bool");

  /** {@code io.statefun.types/int}. */
  public static final TypeName INTEGER_TYPENAME = TypeName.of("io.statefun.types", "int");

  /** {@code io.statefun.types/long}. */
  public static final TypeName LONG_TYPENAME = TypeName.of("io.statefun.types", "long");

  /** {@code io.statefun.types/float}. */
  public static final TypeName FLOAT_TYPENAME = TypeName.of("io.statefun.types", "float");

  /** {@code io.statefun.types/double}. */
  public static final TypeName DOUBLE_TYPENAME = TypeName.of("io.statefun.types", "double");

  /** {@code io.statefun.types/string}. */
  public static final TypeName STRING_TYPENAME = TypeName.of("io.statefun.types", "string");

  /** The namespace StateFun uses for protobuf message types. */
  public static final String PROTOBUF_NAMESPACE = "type.googleapis.com";

  private static final ObjectMapper DEFAULT_MAPPER = new ObjectMapper();

  private static final Type<Boolean> BOOLEAN =
      simpleType(
          BOOLEAN_TYPENAME,
          v -> BooleanWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> BooleanWrapper.parseFrom(b).getValue());
  private static final Type<Integer> INTEGER =
      simpleType(
          INTEGER_TYPENAME,
          v -> IntWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> IntWrapper.parseFrom(b).getValue());
  private static final Type<Long> LONG =
      simpleType(
          LONG_TYPENAME,
          v -> LongWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> LongWrapper.parseFrom(b).getValue());
  private static final Type<Float> FLOAT =
      simpleType(
          FLOAT_TYPENAME,
          v -> FloatWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> FloatWrapper.parseFrom(b).getValue());
  private static final Type<Double> DOUBLE =
      simpleType(
          DOUBLE_TYPENAME,
          v -> DoubleWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> DoubleWrapper.parseFrom(b).getValue());
  private static final Type<String> STRING =
      simpleType(
          STRING_TYPENAME,
          v -> StringWrapper.newBuilder().setValue(v).build().toByteArray(),
          b -> StringWrapper.parseFrom(b).getValue());

  private Types() {}

  /** {@code io.statefun.types/bool}, a {@code BooleanWrapper}. */
  public static Type<Boolean> booleanType() {
    return BOOLEAN;
  }

  /** {@code io.statefun.types/int}, an {@code IntWrapper} (sfixed32). */
  public static Type<Integer> integerType() {
    return INTEGER;
  }

  /** {@code io.statefun.types/long}, a {@code LongWrapper} (sfixed64). */
  public static Type<Long> longType() {
    return LONG;
  }

  /** {@code io.statefun.types/float}, a {@code FloatWrapper}. */
  public static Type<Float> floatType() {
    return FLOAT;
  }

  /** {@code io.statefun.types/double}, a {@code DoubleWrapper}. */
  public static Type<Double> doubleType() {
    return DOUBLE;
  }

  /** {@code io.statefun.types/string}, a {@code StringWrapper} holding UTF-8. */
  public static Type<String> stringType() {
    return STRING;
  }

  /** Serializes a value; may throw any exception, which is reported with the type's name. */
  @FunctionalInterface
  public interface Serializer<T> {
    /** Returns the bytes of {@code value}. */
    byte[] serialize(T value) throws Exception;
  }

  /** Deserializes a value; may throw any exception, which is reported with the type's name. */
  @FunctionalInterface
  public interface Deserializer<T> {
    /** Returns the value held by {@code bytes}. */
    T deserialize(byte[] bytes) throws Exception;
  }

  /**
   * A type from a serializer/deserializer pair. Exceptions they throw are wrapped in an {@link
   * IllegalStateException} naming the type.
   */
  public static <T> Type<T> simpleType(
      TypeName typeName, Serializer<T> serializer, Deserializer<T> deserializer) {
    return new SimpleType<>(typeName, serializer, deserializer);
  }

  /** A JSON type for {@code valueClass}, using a default Jackson {@link ObjectMapper}. */
  public static <T> Type<T> jsonType(TypeName typeName, Class<T> valueClass) {
    return jsonType(typeName, valueClass, DEFAULT_MAPPER);
  }

  /** A JSON type for {@code valueClass}, using the given (thread safe, configured) mapper. */
  public static <T> Type<T> jsonType(TypeName typeName, Class<T> valueClass, ObjectMapper mapper) {
    Objects.requireNonNull(valueClass, "valueClass");
    Objects.requireNonNull(mapper, "mapper");
    return simpleType(typeName, mapper::writeValueAsBytes, b -> readJson(mapper, b, valueClass));
  }

  /**
   * A protobuf message type named {@code type.googleapis.com/<full message name>}, the convention
   * of the StateFun SDKs.
   */
  @SuppressWarnings("unchecked")
  public static <M extends Message> Type<M> protobufType(M defaultInstance) {
    Objects.requireNonNull(defaultInstance, "defaultInstance");
    TypeName typeName =
        TypeName.of(PROTOBUF_NAMESPACE, defaultInstance.getDescriptorForType().getFullName());
    return protobufType(typeName, (Parser<M>) defaultInstance.getParserForType());
  }

  /** A protobuf message type with an explicit type name. */
  public static <M extends Message> Type<M> protobufType(TypeName typeName, Parser<M> parser) {
    Objects.requireNonNull(parser, "parser");
    return simpleType(typeName, Message::toByteArray, b -> parseProtobuf(parser, b));
  }

  private static <T> T readJson(ObjectMapper mapper, byte[] bytes, Class<T> valueClass)
      throws IOException {
    return mapper.readValue(bytes, valueClass);
  }

  private static <M> M parseProtobuf(Parser<M> parser, byte[] bytes)
      throws InvalidProtocolBufferException {
    return parser.parseFrom(bytes);
  }

  private static final class SimpleType<T> implements Type<T>, TypeSerializer<T> {
    private final TypeName typeName;
    private final Serializer<T> serializer;
    private final Deserializer<T> deserializer;

    SimpleType(TypeName typeName, Serializer<T> serializer, Deserializer<T> deserializer) {
      this.typeName = Objects.requireNonNull(typeName, "typeName");
      this.serializer = Objects.requireNonNull(serializer, "serializer");
      this.deserializer = Objects.requireNonNull(deserializer, "deserializer");
    }

    @Override
    public TypeName typeName() {
      return typeName;
    }

    @Override
    public TypeSerializer<T> typeSerializer() {
      return this;
    }

    @Override
    public byte[] serialize(T value) {
      Objects.requireNonNull(value, () -> "Cannot serialize null as " + typeName);
      try {
        return Objects.requireNonNull(
            serializer.serialize(value), () -> "The serializer of " + typeName + " returned null");
      } catch (Exception e) {
        throw new IllegalStateException("Failed to serialize a value as " + typeName + ": " + e, e);
      }
    }

    @Override
    public T deserialize(byte[] bytes) {
      try {
        return deserializer.deserialize(bytes);
      } catch (Exception e) {
        throw new IllegalStateException(
            "Failed to deserialize " + bytes.length + " bytes as " + typeName + ": " + e, e);
      }
    }

    @Override
    public String toString() {
      return "Type(" + typeName + ")";
    }
  }
}
