package io.kstatefun.routing.module.internals;

import io.kstatefun.routing.TypeName;
import io.kstatefun.routing.module.KafkaEgressSpec;
import io.kstatefun.routing.module.KafkaEgressSpec.DeliverySemantic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Parses {@code io.statefun.kafka.v1/egress} specs. Not API. */
public final class KafkaEgressParser {

  /** The kind. */
  public static final String KIND = "io.statefun.kafka.v1/egress";

  /** The legacy (format 3.0) kind. */
  public static final String LEGACY_KIND = "io.statefun.kafka/egress";

  private static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

  private KafkaEgressParser() {}

  /**
   * Parses an egress spec.
   *
   * @param specNode the {@code spec} node
   * @param legacyId the id from {@code egress.meta.id} of the legacy format; if absent, {@code
   *     spec.id} is required
   * @return the spec
   */
  public static KafkaEgressSpec parse(SpecNode specNode, Optional<SpecNode> legacyId) {
    List<String> keys = new ArrayList<>(List.of("address", "deliverySemantic", "properties"));
    if (legacyId.isEmpty()) {
      keys.add(0, "id");
    }
    SpecObject spec = specNode.object(keys.toArray(String[]::new));
    TypeName id =
        legacyId
            .orElseGet(() -> spec.required("id", "an egress id <namespace>/<name>"))
            .typeName("an egress id");
    Optional<String> address =
        spec.optional("address").map(n -> n.nonEmptyText("Kafka bootstrap servers (host:port)"));
    DeliverySemantic semantic =
        spec.optional("deliverySemantic")
            .map(KafkaEgressParser::deliverySemantic)
            .orElseGet(DeliverySemantic::atLeastOnce);
    Map<String, String> properties =
        spec.optional("properties").map(SpecNode::properties).orElse(Map.of());
    return new KafkaEgressSpec(id, address, semantic, properties, specNode.context().origin());
  }

  private static DeliverySemantic deliverySemantic(SpecNode node) {
    SpecObject semantic = node.object("type", "transactionTimeout", "transactionTimeoutMillis");
    Map<String, DeliverySemantic.Type> types = new LinkedHashMap<>();
    for (DeliverySemantic.Type type : DeliverySemantic.Type.values()) {
      types.put(type.yamlName(), type);
    }
    DeliverySemantic.Type type =
        semantic
            .required("type", "one of " + String.join(", ", types.keySet()))
            .choice(types, true);

    Optional<SpecNode> timeoutNode = semantic.optional("transactionTimeout");
    Optional<SpecNode> millisNode = semantic.optional("transactionTimeoutMillis");
    if (timeoutNode.isPresent() && millisNode.isPresent()) {
      throw millisNode
          .get()
          .error("conflicts with " + timeoutNode.get().path() + "; set only transactionTimeout");
    }
    Optional<Duration> timeout =
        timeoutNode
            .map(n -> checkTransactionTimeout(n, n.positiveDuration()))
            .or(() -> millisNode.map(n -> Duration.ofMillis(n.longValue(1, Integer.MAX_VALUE))));
    if (type == DeliverySemantic.Type.EXACTLY_ONCE && timeout.isEmpty()) {
      throw semantic.missing(
          "transactionTimeout", "a duration such as 15min (required for exactly-once)");
    }
    return new DeliverySemantic(type, timeout);
  }

  private static Duration checkTransactionTimeout(SpecNode node, Duration timeout) {
    if (timeout.compareTo(MAX_TRANSACTION_TIMEOUT) > 0) {
      throw node.invalid("a duration of at most " + Integer.MAX_VALUE + " ms");
    }
    return timeout;
  }
}
