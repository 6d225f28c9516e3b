package io.kstatefun.routing.module;

import io.kstatefun.routing.TypeName;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Kafka ingress that routes each record to functions, with the record key (UTF-8) as the function
 * id: the component {@code io.statefun.kafka.v1/ingress} (and the legacy 3.0 {@code
 * io.statefun.kafka/ingress}).
 *
 * <p>StateFun keys: {@code id}, {@code address}, {@code consumerGroupId}, {@code topics}, {@code
 * startupPosition}, {@code autoOffsetResetPosition}, {@code properties}.
 *
 * <p>kstatefun extensions:
 *
 * <table>
 *   <caption>kstatefun extensions of Kafka ingress specs</caption>
 *   <tr><th>Key</th><th>Values</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code onError}</td><td>{@code dead-letter} | {@code skip} | {@code fail}</td>
 *       <td>{@code dead-letter}</td>
 *       <td>What happens to a record that cannot be routed (no key, tombstone, key not UTF-8,
 *       too large): write it to the dead-letter topic, drop it (counted in metrics), or stop the
 *       application.</td></tr>
 *   <tr><td>{@code deadLetterTopic}</td><td>topic name</td><td>the runtime's default</td>
 *       <td>Where unroutable records go; only allowed with {@code onError: dead-letter}, and must
 *       not be one of the ingress's own topics.</td></tr>
 *   <tr><td>{@code maxRecordBytes}</td><td>integer &ge; 1</td><td>1048576 (1 MiB)</td>
 *       <td>Record values larger than this are not routed (reason {@code RECORD_TOO_LARGE}).</td>
 *       </tr>
 *   <tr><td>{@code forwardHeaders}</td><td>{@code true} | {@code false} | list of header keys
 *       </td><td>{@code false}</td>
 *       <td>Which Kafka record headers travel with the messages to the functions; allowed at
 *       ingress and at topic level, where the topic's value wins (the maintained StateFun fork's
 *       key and precedence; the list form is a kstatefun extension). See {@link
 *       ForwardHeaders}.</td></tr>
 * </table>
 *
 * <p>A topic may be declared by several ingresses; its records then go to the union of their
 * targets. Such ingresses must agree on {@code onError}, {@code deadLetterTopic} and {@code
 * maxRecordBytes}, so that every record has one error policy, and on the topic's {@code
 * forwardHeaders}.
 *
 * @param id the ingress id
 * @param address the Kafka bootstrap servers, if declared
 * @param consumerGroupId the consumer group, if declared
 * @param topics the topics in declaration order; non-empty, each topic at most once
 * @param startupPosition where to start without a committed position
 * @param autoOffsetResetPosition where to go when a start offset is out of range
 * @param properties Kafka consumer properties in declaration order
 * @param deadLetterTopic the dead-letter topic for unroutable records, if declared (extension)
 * @param onError what to do with unroutable records (extension)
 * @param maxRecordBytes the largest record value that is routed (extension)
 * @param origin where the spec was declared, e.g. {@code module.yaml, document 3}
 */
public record KafkaIngressSpec(
    TypeName id,
    Optional<String> address,
    Optional<String> consumerGroupId,
    List<IngressTopic> topics,
    StartupPosition startupPosition,
    AutoOffsetReset autoOffsetResetPosition,
    Map<String, String> properties,
    Optional<String> deadLetterTopic,
    OnError onError,
    int maxRecordBytes,
    String origin) {

  /** Default {@code maxRecordBytes}: 1 MiB. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

  /** The {@code autoOffsetResetPosition} values. StateFun's default is {@link #LATEST}. */
  public enum AutoOffsetReset {
    /** Reset to the earliest offset. */
    EARLIEST,
    /** Reset to the latest offset. */
    LATEST
  }

  /** What happens to a record that cannot be routed (the {@code onError} extension). */
  public enum OnError {
    /** Write the record to the dead-letter topic with headers saying why. */
    DEAD_LETTER("dead-letter"),
    /** Drop the record; it is only counted. */
    SKIP("skip"),
    /** Stop the application, as StateFun did. */
    FAIL("fail");

    private final String yamlName;

    OnError(String yamlName) {
      this.yamlName = yamlName;
    }

    /** Returns the value as written in module files. */
    public String yamlName() {
      return yamlName;
    }
  }

  /** Validates the spec and makes it immutable. */
  public KafkaIngressSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(consumerGroupId, "consumerGroupId");
    topics = List.copyOf(topics);
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("topics of ingress " + id + " must not be empty");
    }
    Set<String> seen = new HashSet<>();
    for (IngressTopic topic : topics) {
      if (!seen.add(topic.topic())) {
        throw new IllegalArgumentException(
            "topic '" + topic.topic() + "' is declared twice in ingress " + id);
      }
    }
    Objects.requireNonNull(startupPosition, "startupPosition");
    Objects.requireNonNull(autoOffsetResetPosition, "autoOffsetResetPosition");
    properties = Specs.immutableOrderedMap(properties, "properties");
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    Objects.requireNonNull(onError, "onError");
    if (deadLetterTopic.isPresent() && onError != OnError.DEAD_LETTER) {
      throw new IllegalArgumentException(
          "deadLetterTopic of ingress " + id + " requires onError dead-letter, not " + onError);
    }
    if (deadLetterTopic.isPresent() && seen.contains(deadLetterTopic.get())) {
      throw new IllegalArgumentException(
          "deadLetterTopic of ingress " + id + " must not be one of its own topics");
    }
    if (maxRecordBytes <= 0) {
      throw new IllegalArgumentException("maxRecordBytes must be positive");
    }
    Objects.requireNonNull(origin, "origin");
  }

  /** Returns the names of the topics, in declaration order. */
  public List<String> topicNames() {
    return topics.stream().map(IngressTopic::topic).toList();
  }
}
