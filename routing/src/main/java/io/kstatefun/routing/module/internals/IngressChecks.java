package io.kstatefun.routing.module.internals;

import io.kstatefun.routing.module.ForwardHeaders;
import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Consistency checks across Kafka ingresses. Not API. */
public final class IngressChecks {

  private IngressChecks() {}

  /**
   * Requires that ingresses declaring the same topic agree on {@code onError}, {@code
   * deadLetterTopic}, {@code maxRecordBytes} and {@code forwardHeaders}, so every record of a topic
   * has one error and header policy.
   *
   * @param ingresses the ingresses
   * @throws ModuleConfigException naming the topic, both ingresses and the differing setting
   */
  public static void requireConsistentSharedTopics(List<KafkaIngressSpec> ingresses) {
    Map<String, KafkaIngressSpec> firstByTopic = new HashMap<>();
    for (KafkaIngressSpec ingress : ingresses) {
      for (String topic : ingress.topicNames()) {
        KafkaIngressSpec first = firstByTopic.putIfAbsent(topic, ingress);
        if (first == null || first == ingress) {
          continue;
        }
        requireSame(topic, first, ingress, "onError", first.onError(), ingress.onError());
        requireSame(
            topic,
            first,
            ingress,
            "deadLetterTopic",
            first.deadLetterTopic(),
            ingress.deadLetterTopic());
        requireSame(
            topic,
            first,
            ingress,
            "maxRecordBytes",
            first.maxRecordBytes(),
            ingress.maxRecordBytes());
        requireSame(
            topic,
            first,
            ingress,
            "forwardHeaders",
            forwardHeaders(first, topic),
            forwardHeaders(ingress, topic));
      }
    }
  }

  private static ForwardHeaders forwardHeaders(KafkaIngressSpec ingress, String topic) {
    for (IngressTopic entry : ingress.topics()) {
      if (entry.topic().equals(topic)) {
        return entry.forwardHeaders();
      }
    }
    return ForwardHeaders.NONE;
  }

  private static void requireSame(
      String topic,
      KafkaIngressSpec first,
      KafkaIngressSpec second,
      String key,
      Object firstValue,
      Object secondValue) {
    if (!firstValue.equals(secondValue)) {
      throw new ModuleConfigException(
          "Topic '"
              + topic
              + "' is read by ingresses "
              + first.id()
              + " ("
              + first.origin()
              + ") and "
              + second.id()
              + " ("
              + second.origin()
              + ") with different "
              + key
              + " ("
              + render(firstValue)
              + " vs "
              + render(secondValue)
              + "); ingresses sharing a topic must agree on onError, deadLetterTopic,"
              + " maxRecordBytes and forwardHeaders");
    }
  }

  private static String render(Object value) {
    if (value instanceof Optional<?> optional) {
      return optional.map(Object::toString).orElse("unset");
    }
    if (value instanceof KafkaIngressSpec.OnError onError) {
      return onError.yamlName();
    }
    return String.valueOf(value);
  }
}
