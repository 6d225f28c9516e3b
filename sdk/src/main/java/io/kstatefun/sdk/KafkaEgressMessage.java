package io.kstatefun.sdk;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.sdk.types.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds an {@link EgressMessage} for a Kafka egress: the topic, an optional UTF-8 key and the
 * value bytes, carried as a {@code KafkaProducerRecord} whose type name is exactly {@value
 * #KAFKA_PRODUCER_RECORD_TYPENAME}.
 *
 * <pre>{@code
 * context.send(
 *     KafkaEgressMessage.forEgress(GREETS)
 *         .withTopic("greetings")
 *         .withUtf8Key(context.self().id())
 *         .withUtf8Value("Hello " + name)
 *         .build());
 * }</pre>
 *
 * <p>Headers ({@link #withHeader}) travel in {@code KafkaProducerRecord.headers}, the field the
 * maintained StateFun fork added; a runtime that does not know the field writes the record without
 * them.
 */
public final class KafkaEgressMessage {

  /** The type name of a Kafka egress record, shared with StateFun and its SDKs. */
  public static final String KAFKA_PRODUCER_RECORD_TYPENAME =
      "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";

  private final TypeName egress;
  private String topic;
  private String key = "";
  private ByteString value;
  private final List<KafkaProducerRecord.Header> headers = new ArrayList<>();

  private KafkaEgressMessage(TypeName egress) {
    this.egress = Objects.requireNonNull(egress, "egress");
  }

  /** Starts a record for the Kafka egress with the given id. */
  public static KafkaEgressMessage forEgress(TypeName egress) {
    return new KafkaEgressMessage(egress);
  }

  /** The target topic (required). */
  public KafkaEgressMessage withTopic(String topic) {
    Objects.requireNonNull(topic, "topic");
    if (topic.isEmpty()) {
      throw new IllegalArgumentException("A Kafka topic cannot be empty");
    }
    this.topic = topic;
    return this;
  }

  /** The record key; without one (or with an empty one) the record has no key. */
  public KafkaEgressMessage withUtf8Key(String key) {
    this.key = Objects.requireNonNull(key, "key");
    return this;
  }

  /** The value as raw bytes. */
  public KafkaEgressMessage withValue(byte[] value) {
    this.value = ByteString.copyFrom(Objects.requireNonNull(value, "value"));
    return this;
  }

  /** The value as raw UTF-8 bytes (not a StateFun {@code StringWrapper}). */
  public KafkaEgressMessage withUtf8Value(String value) {
    Objects.requireNonNull(value, "value");
    return withValue(value.getBytes(StandardCharsets.UTF_8));
  }

  /** The value serialized by {@code type}. */
  public <T> KafkaEgressMessage withValue(Type<T> type, T value) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(value, "value");
    return withValue(type.typeSerializer().serialize(value));
  }

  /**
   * Adds a record header (headers keep their order; a key may repeat).
   *
   * @param key the key; {@code null} becomes {@code ""}
   * @param value the value; {@code null} for a null value (not the same as empty)
   */
  public KafkaEgressMessage withHeader(String key, byte[] value) {
    KafkaProducerRecord.Header.Builder h =
        KafkaProducerRecord.Header.newBuilder().setKey(key == null ? "" : key);
    if (value != null) {
      h.setHasValue(true).setValue(ByteString.copyFrom(value));
    }
    headers.add(h.build());
    return this;
  }

  /** Adds a record header with a UTF-8 text value ({@code null} for a null value). */
  public KafkaEgressMessage withUtf8Header(String key, String value) {
    return withHeader(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  /** Adds headers, in order; e.g. {@code withHeaders(message.headers())} passes them on. */
  public KafkaEgressMessage withHeaders(List<MessageHeader> headers) {
    for (MessageHeader header : headers) {
      withHeader(header.key(), header.value());
    }
    return this;
  }

  /**
   * Builds the message.
   *
   * @throws IllegalStateException if the topic or the value is missing
   */
  public EgressMessage build() {
    if (topic == null) {
      throw new IllegalStateException("A Kafka record for egress " + egress + " needs a topic");
    }
    if (value == null) {
      throw new IllegalStateException(
          "A Kafka record for egress " + egress + " (topic " + topic + ") needs a value");
    }
    KafkaProducerRecord record =
        KafkaProducerRecord.newBuilder()
            .setTopic(topic)
            .setKey(key)
            .setValueBytes(value)
            .addAllHeaders(headers)
            .build();
    TypedValue typedValue =
        TypedValue.newBuilder()
            .setTypename(KAFKA_PRODUCER_RECORD_TYPENAME)
            .setHasValue(true)
            .setValue(record.toByteString())
            .build();
    return EgressMessage.of(egress, typedValue);
  }
}
