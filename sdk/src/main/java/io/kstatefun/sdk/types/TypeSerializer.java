package io.kstatefun.sdk.types;

/**
 * Turns values into bytes and back. Implementations must be thread safe and must produce bytes that
 * the other side (another function or SDK, an egress consumer) can read.
 *
 * @param <T> the Java type of the values
 */
public interface TypeSerializer<T> {

  /** Serializes a non-null value. */
  byte[] serialize(T value);

  /** Deserializes bytes written by {@link #serialize} (or by another SDK for the same type). */
  T deserialize(byte[] bytes);
}
