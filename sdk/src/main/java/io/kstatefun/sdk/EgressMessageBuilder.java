package io.kstatefun.sdk;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.util.Objects;

/**
 * Builds a generic {@link EgressMessage}: a typed value for an egress. For Kafka topics use {@link
 * KafkaEgressMessage}, which names the topic and key.
 */
public final class EgressMessageBuilder {
  private final TypeName egress;
  private TypedValue value;

  private EgressMessageBuilder(TypeName egress) {
    this.egress = Objects.requireNonNull(egress, "egress");
  }

  /** A message for the egress with the given id. */
  public static EgressMessageBuilder forEgress(TypeName egress) {
    return new EgressMessageBuilder(egress);
  }

  /** An {@code io.statefun.types/int} value. */
  public EgressMessageBuilder withValue(int value) {
    return withValue(Types.integerType(), value);
  }

  /** An {@code io.statefun.types/long} value. */
  public EgressMessageBuilder withValue(long value) {
    return withValue(Types.longType(), value);
  }

  /** An {@code io.statefun.types/float} value. */
  public EgressMessageBuilder withValue(float value) {
    return withValue(Types.floatType(), value);
  }

  /** An {@code io.statefun.types/double} value. */
  public EgressMessageBuilder withValue(double value) {
    return withValue(Types.doubleType(), value);
  }

  /** An {@code io.statefun.types/bool} value. */
  public EgressMessageBuilder withValue(boolean value) {
    return withValue(Types.booleanType(), value);
  }

  /** An {@code io.statefun.types/string} value. */
  public EgressMessageBuilder withValue(String value) {
    return withValue(Types.stringType(), value);
  }

  /** A value of any type. */
  public <T> EgressMessageBuilder withValue(Type<T> type, T value) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(value, "value");
    this.value = MessageBuilder.typedValue(type, value);
    return this;
  }

  /** Builds the message. */
  public EgressMessage build() {
    if (value == null) {
      throw new IllegalStateException("A message for egress " + egress + " needs a value");
    }
    return EgressMessage.of(egress, value);
  }
}
