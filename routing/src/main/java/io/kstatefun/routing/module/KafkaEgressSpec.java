package io.kstatefun.routing.module;

import io.kstatefun.routing.TypeName;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A Kafka egress that writes the {@code KafkaProducerRecord}s functions send to it: the component
 * {@code io.statefun.kafka.v1/egress} (and the legacy 3.0 {@code io.statefun.kafka/egress}).
 *
 * <p>Keys: {@code id}, {@code address}, {@code deliverySemantic: {type, transactionTimeout}} (the
 * deprecated {@code transactionTimeoutMillis} is accepted too), {@code properties}.
 *
 * @param id the egress id functions address messages to
 * @param address the Kafka bootstrap servers, if declared
 * @param deliverySemantic the delivery guarantee
 * @param properties Kafka producer properties in declaration order
 * @param origin where the spec was declared, e.g. {@code module.yaml, document 4}
 */
public record KafkaEgressSpec(
    TypeName id,
    Optional<String> address,
    DeliverySemantic deliverySemantic,
    Map<String, String> properties,
    String origin) {

  /** Validates the spec and makes it immutable. */
  public KafkaEgressSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(deliverySemantic, "deliverySemantic");
    properties = Specs.immutableOrderedMap(properties, "properties");
    Objects.requireNonNull(origin, "origin");
  }

  /**
   * The {@code deliverySemantic} of an egress. StateFun's default is at-least-once.
   *
   * @param type the guarantee
   * @param transactionTimeout the Kafka transaction timeout; required for exactly-once, recorded
   *     but unused otherwise
   */
  public record DeliverySemantic(Type type, Optional<Duration> transactionTimeout) {

    /** The delivery guarantees. */
    public enum Type {
      /** {@code exactly-once}: transactional writes. */
      EXACTLY_ONCE("exactly-once"),
      /** {@code at-least-once}: no loss, possible duplicates. */
      AT_LEAST_ONCE("at-least-once"),
      /** {@code none}: no guarantee. */
      NONE("none");

      private final String yamlName;

      Type(String yamlName) {
        this.yamlName = yamlName;
      }

      /** Returns the value as written in module files. */
      public String yamlName() {
        return yamlName;
      }
    }

    /** Validates the semantic. */
    public DeliverySemantic {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(transactionTimeout, "transactionTimeout");
      if (type == Type.EXACTLY_ONCE && transactionTimeout.isEmpty()) {
        throw new IllegalArgumentException("exactly-once requires a transactionTimeout");
      }
      transactionTimeout.ifPresent(
          timeout -> {
            if (timeout.isNegative() || timeout.isZero()) {
              throw new IllegalArgumentException("transactionTimeout must be positive");
            }
          });
    }

    /** Returns StateFun's default, at-least-once. */
    public static DeliverySemantic atLeastOnce() {
      return new DeliverySemantic(Type.AT_LEAST_ONCE, Optional.empty());
    }
  }
}
