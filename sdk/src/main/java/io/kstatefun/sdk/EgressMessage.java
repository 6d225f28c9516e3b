package io.kstatefun.sdk;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.sdk.types.Type;
import java.util.Objects;

/**
 * A record for an egress (for example a Kafka topic), named by the egress id declared in the
 * runtime's module. Build generic ones with {@link EgressMessageBuilder} and Kafka records with
 * {@link KafkaEgressMessage}; send them with {@link Context#send(EgressMessage)}.
 */
public final class EgressMessage {
  private final TypeName egress;
  private final TypedValue value;

  private EgressMessage(TypeName egress, TypedValue value) {
    this.egress = egress;
    this.value = value;
  }

  /** Creates an egress message from a protocol value. */
  public static EgressMessage of(TypeName egress, TypedValue value) {
    return new EgressMessage(
        Objects.requireNonNull(egress, "egress"), Objects.requireNonNull(value, "value"));
  }

  /** The egress id, e.g. {@code example/greets}. */
  public TypeName targetEgress() {
    return egress;
  }

  /** The protocol value (type name and bytes). */
  public TypedValue typedValue() {
    return value;
  }

  /** The name of the value's type as it appears on the wire. */
  public String valueTypeNameString() {
    return value.getTypename();
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
   * @throws IllegalStateException if the value has another type name
   */
  public <T> T as(Type<T> type) {
    if (!is(type)) {
      throw new IllegalStateException(
          "Egress message to "
              + egress
              + " holds a value of type '"
              + value.getTypename()
              + "', not "
              + type.typeName());
    }
    return type.typeSerializer().deserialize(value.getValue().toByteArray());
  }

  /** Whether this is a Kafka record built by {@link KafkaEgressMessage}. */
  public boolean isKafkaProducerRecord() {
    return KafkaEgressMessage.KAFKA_PRODUCER_RECORD_TYPENAME.equals(value.getTypename());
  }

  /**
   * The Kafka record (topic, key, value bytes) carried by this message.
   *
   * @throws IllegalStateException if this is not a Kafka record
   */
  public KafkaProducerRecord asKafkaProducerRecord() {
    if (!isKafkaProducerRecord()) {
      throw new IllegalStateException(
          "Egress message to "
              + egress
              + " is a '"
              + value.getTypename()
              + "', not a Kafka record");
    }
    try {
      return KafkaProducerRecord.parseFrom(value.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("Malformed Kafka record for egress " + egress, e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof EgressMessage other
            && egress.equals(other.egress)
            && value.equals(other.value));
  }

  @Override
  public int hashCode() {
    return Objects.hash(egress, value);
  }

  @Override
  public String toString() {
    return "EgressMessage(to "
        + egress
        + ", "
        + value.getTypename()
        + ", "
        + value.getValue().size()
        + " bytes)";
  }
}
