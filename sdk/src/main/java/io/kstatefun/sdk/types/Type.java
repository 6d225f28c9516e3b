package io.kstatefun.sdk.types;

import io.kstatefun.sdk.TypeName;

/**
 * A value type: a {@link TypeName} that travels with every value on the wire, and the serializer
 * that turns values into bytes and back.
 *
 * <p>Ready-made types are in {@link Types}. Implement this interface for anything else, or use
 * {@link Types#simpleType}.
 *
 * @param <T> the Java type of the values
 */
public interface Type<T> {

  /** The name of this type, for example {@code io.statefun.types/int}. */
  TypeName typeName();

  /** The serializer for values of this type. */
  TypeSerializer<T> typeSerializer();
}
