package io.kstatefun.routing.module.internals;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.TypeName;
import io.kstatefun.routing.module.ForwardHeaders;
import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.KafkaIngressSpec.AutoOffsetReset;
import io.kstatefun.routing.module.KafkaIngressSpec.OnError;
import io.kstatefun.routing.module.StartupPosition;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/** Parses {@code io.statefun.kafka.v1/ingress} specs. Not API. */
public final class KafkaIngressParser {

  /** The kind. */
  public static final String KIND = "io.statefun.kafka.v1/ingress";

  /** The legacy (format 3.0) kind. */
  public static final String LEGACY_KIND = "io.statefun.kafka/ingress";

  private static final DateTimeFormatter STATEFUN_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS Z");

  private static final String DATE_EXPECTED =
      "a date such as '2020-02-01 04:15:00.000 +0000' (yyyy-MM-dd HH:mm:ss.SSS Z) or"
          + " '2020-02-01T04:15:00Z' (ISO-8601)";

  private static final String OFFSETS_EXPECTED =
      "a list of single-entry maps '- <topic>/<partition>: <offset>'";

  private KafkaIngressParser() {}

  /**
   * Parses an ingress spec.
   *
   * @param specNode the {@code spec} node
   * @param legacyId the id from {@code ingress.meta.id} of the legacy format; if absent, {@code
   *     spec.id} is required
   * @return the spec
   */
  public static KafkaIngressSpec parse(SpecNode specNode, Optional<SpecNode> legacyId) {
    List<String> keys =
        new ArrayList<>(
            List.of(
                "address",
                "consumerGroupId",
                "topics",
                "startupPosition",
                "autoOffsetResetPosition",
                "properties",
                "deadLetterTopic",
                "onError",
                "maxRecordBytes",
                "forwardHeaders"));
    if (legacyId.isEmpty()) {
      keys.add(0, "id");
    }
    SpecObject spec = specNode.object(keys.toArray(String[]::new));

    String idExpected = "an ingress id";
    TypeName id =
        legacyId
            .orElseGet(() -> spec.required("id", idExpected + " <namespace>/<name>"))
            .typeName(idExpected);
    Optional<String> address =
        spec.optional("address").map(n -> n.nonEmptyText("Kafka bootstrap servers (host:port)"));
    Optional<String> consumerGroupId =
        spec.optional("consumerGroupId").map(n -> n.nonEmptyText("a consumer group id"));

    ForwardHeaders ingressForwardHeaders =
        spec.optional("forwardHeaders")
            .map(KafkaIngressParser::forwardHeaders)
            .orElse(ForwardHeaders.NONE);
    List<IngressTopic> topics =
        topics(spec.required("topics", "a non-empty list of topics"), ingressForwardHeaders);

    StartupPosition startupPosition =
        spec.optional("startupPosition")
            .map(KafkaIngressParser::startupPosition)
            .orElseGet(StartupPosition.Latest::new);

    Map<String, AutoOffsetReset> resets = new LinkedHashMap<>();
    resets.put("earliest", AutoOffsetReset.EARLIEST);
    resets.put("latest", AutoOffsetReset.LATEST);
    AutoOffsetReset autoOffsetReset =
        spec.optional("autoOffsetResetPosition")
            .map(n -> n.choice(resets, false))
            .orElse(AutoOffsetReset.LATEST);

    Map<String, String> properties =
        spec.optional("properties").map(SpecNode::properties).orElse(Map.of());

    Map<String, OnError> onErrors = new LinkedHashMap<>();
    for (OnError value : OnError.values()) {
      onErrors.put(value.yamlName(), value);
    }
    OnError onError =
        spec.optional("onError").map(n -> n.choice(onErrors, true)).orElse(OnError.DEAD_LETTER);

    Optional<SpecNode> deadLetterNode = spec.optional("deadLetterTopic");
    Optional<String> deadLetterTopic = deadLetterNode.map(KafkaIngressParser::topicName);
    if (deadLetterNode.isPresent()) {
      if (onError != OnError.DEAD_LETTER) {
        throw deadLetterNode
            .get()
            .error("only allowed with onError: dead-letter, but onError is " + onError.yamlName());
      }
      if (topics.stream().anyMatch(t -> t.topic().equals(deadLetterTopic.get()))) {
        throw deadLetterNode
            .get()
            .invalid("a topic that is not read by this ingress", "it is one of its own topics");
      }
    }

    int maxRecordBytes =
        spec.optional("maxRecordBytes")
            .map(n -> n.intValue(1, Integer.MAX_VALUE))
            .orElse(KafkaIngressSpec.DEFAULT_MAX_RECORD_BYTES);

    try {
      return new KafkaIngressSpec(
          id,
          address,
          consumerGroupId,
          topics,
          startupPosition,
          autoOffsetReset,
          properties,
          deadLetterTopic,
          onError,
          maxRecordBytes,
          specNode.context().origin());
    } catch (IllegalArgumentException e) {
      throw specNode.error(e.getMessage());
    }
  }

  private static List<IngressTopic> topics(SpecNode node, ForwardHeaders ingressForwardHeaders) {
    List<IngressTopic> topics = new ArrayList<>();
    Map<String, String> declaredAt = new HashMap<>();
    for (SpecNode element :
        node.nonEmptyList("a non-empty list of {topic, valueType, targets} entries")) {
      SpecObject entry = element.object("topic", "valueType", "targets", "forwardHeaders");
      SpecNode topicNode = entry.required("topic", "a Kafka topic name");
      String topic = topicName(topicNode);
      String previous = declaredAt.putIfAbsent(topic, topicNode.path());
      if (previous != null) {
        throw topicNode.error(
            "topic '"
                + topic
                + "' is already declared at "
                + previous
                + "; list each topic once per ingress");
      }
      TypeName valueType =
          entry
              .required("valueType", "the type name of the record values, e.g. com.example/User")
              .typeName("a value type");
      List<FunctionType> targets = new ArrayList<>();
      for (SpecNode target :
          entry
              .required("targets", "a non-empty list of function types")
              .nonEmptyList("a non-empty list of function types <namespace>/<name>")) {
        FunctionType type = target.functionType();
        if (targets.contains(type)) {
          throw target.error("duplicate target " + type + "; list each function type once");
        }
        targets.add(type);
      }
      ForwardHeaders forwardHeaders =
          entry
              .optional("forwardHeaders")
              .map(KafkaIngressParser::forwardHeaders)
              .orElse(ingressForwardHeaders);
      topics.add(new IngressTopic(topic, valueType, targets, forwardHeaders));
    }
    return topics;
  }

  /** {@code forwardHeaders}: {@code true}, {@code false} or a list of header keys. */
  static ForwardHeaders forwardHeaders(SpecNode node) {
    String expected = "true, false or a list of header keys";
    if (node.json().isBoolean()) {
      return node.json().booleanValue() ? ForwardHeaders.ALL : ForwardHeaders.NONE;
    }
    if (node.json().isTextual()) {
      String text = node.json().textValue().trim();
      if (text.equalsIgnoreCase("true")) {
        return ForwardHeaders.ALL;
      }
      if (text.equalsIgnoreCase("false")) {
        return ForwardHeaders.NONE;
      }
      throw node.invalid(expected);
    }
    if (!node.json().isArray()) {
      throw node.invalid(expected);
    }
    List<String> keys = new ArrayList<>();
    for (SpecNode key : node.list(expected)) {
      String text = key.nonEmptyText("a header key");
      if (keys.contains(text)) {
        throw key.error("duplicate header key '" + text + "'");
      }
      keys.add(text);
    }
    return ForwardHeaders.only(keys);
  }

  private static StartupPosition startupPosition(SpecNode node) {
    SpecObject position = node.object("type", "offsets", "date");
    Map<String, String> types = new LinkedHashMap<>();
    for (String type : List.of("earliest", "latest", "group-offsets", "specific-offsets", "date")) {
      types.put(type, type);
    }
    String type =
        position
            .required("type", "one of " + String.join(", ", types.keySet()))
            .choice(types, true);
    if (!type.equals("specific-offsets") && position.has("offsets")) {
      throw position
          .optional("offsets")
          .orElseThrow()
          .error("only allowed with type: specific-offsets, but type is " + type);
    }
    if (!type.equals("date") && position.has("date")) {
      throw position
          .optional("date")
          .orElseThrow()
          .error("only allowed with type: date, but type is " + type);
    }
    return switch (type) {
      case "earliest" -> new StartupPosition.Earliest();
      case "latest" -> new StartupPosition.Latest();
      case "group-offsets" -> new StartupPosition.GroupOffsets();
      case "specific-offsets" ->
          new StartupPosition.SpecificOffsets(
              offsets(position.required("offsets", OFFSETS_EXPECTED)));
      default -> new StartupPosition.FromDate(date(position.required("date", DATE_EXPECTED)));
    };
  }

  private static Map<TopicPartition, Long> offsets(SpecNode node) {
    List<SpecNode> entries = new ArrayList<>();
    if (node.json().isArray()) {
      for (SpecNode element : node.nonEmptyList(OFFSETS_EXPECTED)) {
        if (!element.json().isObject() || element.json().isEmpty()) {
          throw element.invalid("a single-entry map '<topic>/<partition>: <offset>'");
        }
        element.json().fieldNames().forEachRemaining(key -> entries.add(child(element, key)));
      }
    } else if (node.json().isObject() && !node.json().isEmpty()) {
      node.json().fieldNames().forEachRemaining(key -> entries.add(child(node, key)));
    } else {
      throw node.invalid(OFFSETS_EXPECTED);
    }
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    for (SpecNode entry : entries) {
      String key = entry.path().substring(entry.path().lastIndexOf('.') + 1);
      TopicPartition partition = topicPartition(key);
      if (partition == null) {
        throw entry.error(
            "invalid partition '" + key + "'; expected <topic>/<partition>, e.g. orders/0");
      }
      if (offsets.put(partition, entry.longValue(0, Long.MAX_VALUE)) != null) {
        throw entry.error("duplicate partition '" + key + "'");
      }
    }
    return offsets;
  }

  private static SpecNode child(SpecNode parent, String key) {
    return new SpecNode(parent.context(), parent.json().get(key), parent.path() + "." + key);
  }

  private static TopicPartition topicPartition(String text) {
    int slash = text.lastIndexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      return null;
    }
    String topic = text.substring(0, slash);
    if (!isValidTopicName(topic)) {
      return null;
    }
    try {
      int partition = Integer.parseInt(text.substring(slash + 1));
      return partition < 0 ? null : new TopicPartition(topic, partition);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Instant date(SpecNode node) {
    String text = node.nonEmptyText(DATE_EXPECTED).trim();
    try {
      return ZonedDateTime.parse(text, STATEFUN_DATE).toInstant();
    } catch (DateTimeParseException statefunFormat) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException isoFormat) {
        throw node.invalid(DATE_EXPECTED);
      }
    }
  }

  /** Parses and validates a Kafka topic name. */
  static String topicName(SpecNode node) {
    String expected = "a Kafka topic name (1 to 249 characters of a-z, A-Z, 0-9, '.', '_', '-')";
    String topic = node.nonEmptyText(expected);
    if (!isValidTopicName(topic)) {
      throw node.invalid(expected);
    }
    return topic;
  }

  private static boolean isValidTopicName(String topic) {
    if (topic.isEmpty() || topic.length() > 249 || topic.equals(".") || topic.equals("..")) {
      return false;
    }
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
