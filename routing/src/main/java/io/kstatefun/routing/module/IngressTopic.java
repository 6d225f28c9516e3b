package io.kstatefun.routing.module;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.TypeName;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * One entry of a Kafka ingress's {@code topics}: records of {@code topic} are wrapped as {@code
 * TypedValue}s of {@code valueType} and sent to every target, with the record key as the function
 * id.
 *
 * @param topic the Kafka topic
 * @param valueType the type name of the record values, e.g. {@code com.example/User}
 * @param targets the function types that receive every record, in declaration order; non-empty and
 *     without duplicates
 * @param forwardHeaders which record headers travel with the messages (the topic's {@code
 *     forwardHeaders}, else the ingress's, else none)
 */
public record IngressTopic(
    String topic, TypeName valueType, List<FunctionType> targets, ForwardHeaders forwardHeaders) {

  /** An entry that forwards no headers. */
  public IngressTopic(String topic, TypeName valueType, List<FunctionType> targets) {
    this(topic, valueType, targets, ForwardHeaders.NONE);
  }

  /** Validates the entry and makes it immutable. */
  public IngressTopic {
    Objects.requireNonNull(topic, "topic");
    if (topic.isEmpty()) {
      throw new IllegalArgumentException("topic must not be empty");
    }
    Objects.requireNonNull(valueType, "valueType");
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("targets of topic '" + topic + "' must not be empty");
    }
    if (new HashSet<>(targets).size() != targets.size()) {
      throw new IllegalArgumentException(
          "targets of topic '" + topic + "' must not contain duplicates: " + targets);
    }
    Objects.requireNonNull(forwardHeaders, "forwardHeaders");
  }
}
