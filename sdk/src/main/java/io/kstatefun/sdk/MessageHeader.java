package io.kstatefun.sdk;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One header of a {@link Message}: a Kafka record header that the ingress forwarded, a header the
 * sending function set, or the W3C trace context. Kafka's semantics hold: a message may carry the
 * same key several times (in order), and a header's value may be {@code null}, which is not the
 * same as empty.
 *
 * <p>On the wire a header is a {@code TypedValue.Metadata} entry of the message's value, the field
 * the maintained StateFun fork uses, so its SDKs read the same headers. Accessors never throw.
 */
public final class MessageHeader {
  private final String key;
  private final byte[] value;

  private MessageHeader(String key, byte[] value) {
    this.key = key;
    this.value = value;
  }

  /**
   * A header.
   *
   * @param key the key; {@code null} becomes {@code ""} (Kafka forbids null keys)
   * @param value the value, copied; {@code null} for a null value
   */
  public static MessageHeader of(String key, byte[] value) {
    return new MessageHeader(key == null ? "" : key, value == null ? null : value.clone());
  }

  /** A header with a UTF-8 text value ({@code null} for a null value). */
  public static MessageHeader ofUtf8(String key, String value) {
    return new MessageHeader(
        key == null ? "" : key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  /** The key (never null). */
  public String key() {
    return key;
  }

  /** Whether the value is non-null. */
  public boolean hasValue() {
    return value != null;
  }

  /** A copy of the value, or {@code null} for a null value. */
  public byte[] value() {
    return value == null ? null : value.clone();
  }

  /** The value decoded as UTF-8 (invalid bytes become U+FFFD), or {@code null} for a null value. */
  public String valueAsUtf8String() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /** The wire form. */
  TypedValue.Metadata toProto() {
    TypedValue.Metadata.Builder b = TypedValue.Metadata.newBuilder().setKey(key);
    if (value != null) {
      b.setHasValue(true).setValue(ByteString.copyFrom(value));
    }
    return b.build();
  }

  /** The headers of a wire value, in order; an empty list when it has none. */
  static List<MessageHeader> fromProto(List<TypedValue.Metadata> metadata) {
    if (metadata.isEmpty()) {
      return List.of();
    }
    List<MessageHeader> out = new ArrayList<>(metadata.size());
    for (TypedValue.Metadata m : metadata) {
      out.add(new MessageHeader(m.getKey(), m.getHasValue() ? m.getValue().toByteArray() : null));
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof MessageHeader other
            && key.equals(other.key)
            && Arrays.equals(value, other.value));
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, Arrays.hashCode(value));
  }

  @Override
  public String toString() {
    return key + "=" + (value == null ? "null" : value.length + " bytes");
  }
}
