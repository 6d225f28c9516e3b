package io.kstatefun.routing;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.RoutingException.Reason;
import io.kstatefun.routing.module.ForwardHeaders;
import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.internals.IngressChecks;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns Kafka ingress records into function invocations, as StateFun's routable Kafka ingress does:
 * the record key, decoded as UTF-8, is the function id; the raw record value is wrapped as a {@code
 * TypedValue} of the topic's {@code valueType} and sent to every target of the topic.
 *
 * <p>A topic declared by several ingresses goes to the union of their targets, in declaration order
 * (ingress by ingress, target by target), each with its own ingress's value type.
 *
 * <p>Unlike StateFun, which failed the whole job, records that cannot be routed are reported with a
 * {@link RoutingException} whose {@link Reason} says why, so the caller can apply the ingress's
 * {@code onError} policy. Keys must be valid UTF-8: an id re-encoded from an invalid key would hash
 * to a different partition than the key itself.
 *
 * <p>Immutable and thread-safe.
 */
public final class IngressRouter {

  private final Map<String, TopicRoute> routes;

  private IngressRouter(Map<String, TopicRoute> routes) {
    this.routes = routes;
  }

  /**
   * Builds a router.
   *
   * @param ingresses the Kafka ingress specs
   * @return the router
   * @throws io.kstatefun.routing.module.ModuleConfigException if ingresses sharing a topic disagree
   *     on their error policy
   */
  public static IngressRouter of(List<KafkaIngressSpec> ingresses) {
    List<KafkaIngressSpec> copy = List.copyOf(ingresses);
    IngressChecks.requireConsistentSharedTopics(copy);
    Map<String, List<KafkaIngressSpec>> ingressesByTopic = new LinkedHashMap<>();
    Map<String, List<Target>> targetsByTopic = new LinkedHashMap<>();
    Map<String, ForwardHeaders> forwardByTopic = new LinkedHashMap<>();
    for (KafkaIngressSpec ingress : copy) {
      for (IngressTopic topic : ingress.topics()) {
        ingressesByTopic.computeIfAbsent(topic.topic(), t -> new ArrayList<>()).add(ingress);
        forwardByTopic.putIfAbsent(topic.topic(), topic.forwardHeaders());
        List<Target> targets =
            targetsByTopic.computeIfAbsent(topic.topic(), t -> new ArrayList<>());
        for (FunctionType type : topic.targets()) {
          targets.add(new Target(type, topic.valueType().toString()));
        }
      }
    }
    Map<String, TopicRoute> routes = new LinkedHashMap<>();
    ingressesByTopic.forEach(
        (topic, declaring) ->
            routes.put(
                topic,
                new TopicRoute(
                    List.copyOf(declaring),
                    declaring.stream().map(KafkaIngressSpec::id).toList(),
                    List.copyOf(targetsByTopic.get(topic)),
                    declaring.get(0).maxRecordBytes(),
                    forwardByTopic.get(topic))));
    return new IngressRouter(Collections.unmodifiableMap(routes));
  }

  /** Returns the declared topics, in declaration order. */
  public Set<String> topics() {
    return routes.keySet();
  }

  /**
   * Returns the ingresses that declare a topic, in declaration order. They agree on {@code
   * onError}, {@code deadLetterTopic} and {@code maxRecordBytes}.
   *
   * @param topic the topic
   * @return the ingresses; empty if the topic is not declared
   */
  public List<KafkaIngressSpec> ingressesFor(String topic) {
    TopicRoute route = routes.get(topic);
    return route == null ? List.of() : route.ingresses();
  }

  /**
   * Returns the ingress whose error policy ({@code onError}, {@code deadLetterTopic}) applies to a
   * topic's records: the first ingress that declares it.
   *
   * @param topic the topic
   * @return the ingress, or empty if the topic is not declared
   */
  public Optional<KafkaIngressSpec> errorPolicyFor(String topic) {
    return ingressesFor(topic).stream().findFirst();
  }

  /**
   * Returns which record headers of a topic travel with its messages ({@link ForwardHeaders#NONE}
   * for an undeclared topic).
   *
   * @param topic the topic
   * @return the topic's header policy
   */
  public ForwardHeaders forwardHeaders(String topic) {
    TopicRoute route = routes.get(topic);
    return route == null ? ForwardHeaders.NONE : route.forwardHeaders();
  }

  /**
   * Routes one record without headers.
   *
   * @see #route(String, byte[], byte[], List)
   */
  public List<Routed> route(String topic, byte[] key, byte[] value) throws RoutingException {
    return route(topic, key, value, List.of());
  }

  /**
   * Routes one record.
   *
   * @param topic the topic the record came from
   * @param key the record key: the function id in UTF-8
   * @param value the record value, delivered as is
   * @param headers the headers every delivery carries ({@code TypedValue.metadata}), already
   *     filtered by the topic's {@link #forwardHeaders}
   * @return one delivery per target, in declaration order
   * @throws RoutingException if the topic is not declared, the key is missing, empty or not UTF-8,
   *     the value is missing (a tombstone), or the value exceeds {@code maxRecordBytes}
   */
  public List<Routed> route(
      String topic, byte[] key, byte[] value, List<TypedValue.Metadata> headers)
      throws RoutingException {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(headers, "headers");
    TopicRoute route = routes.get(topic);
    if (route == null) {
      throw new RoutingException(
          Reason.UNDECLARED_TOPIC,
          topic,
          List.of(),
          "no Kafka ingress declares this topic; declared topics: " + routes.keySet());
    }
    if (key == null) {
      throw route.failure(
          Reason.NULL_KEY, topic, "the record has no key; the key (UTF-8) is the function id");
    }
    if (key.length == 0) {
      throw route.failure(
          Reason.EMPTY_KEY, topic, "the record key is empty; the key (UTF-8) is the function id");
    }
    String id = decodeUtf8(key);
    if (id == null) {
      throw route.failure(
          Reason.INVALID_KEY,
          topic,
          "the record key (" + key.length + " bytes) is not valid UTF-8");
    }
    if (value == null) {
      throw route.failure(
          Reason.NULL_VALUE,
          topic,
          "the record has no value (tombstone) for function id '" + id + "'");
    }
    if (value.length > route.maxRecordBytes()) {
      throw route.failure(
          Reason.RECORD_TOO_LARGE,
          topic,
          "the record value for function id '"
              + id
              + "' has "
              + value.length
              + " bytes, more than maxRecordBytes "
              + route.maxRecordBytes());
    }

    ByteString bytes = ByteString.copyFrom(value);
    List<Target> targets = route.targets();
    List<Routed> routed = new ArrayList<>(targets.size());
    TypedValue argument = null;
    String argumentType = null;
    for (Target target : targets) {
      if (!target.valueType().equals(argumentType)) {
        argumentType = target.valueType();
        TypedValue.Builder b =
            TypedValue.newBuilder().setTypename(argumentType).setHasValue(true).setValue(bytes);
        if (!headers.isEmpty()) {
          b.addAllMetadata(headers);
        }
        argument = b.build();
      }
      routed.add(new Routed(new Address(target.type(), id), argument));
    }
    return Collections.unmodifiableList(routed);
  }

  /** Returns the key as a string, or null if it is not valid UTF-8. */
  private static String decodeUtf8(byte[] key) {
    boolean ascii = true;
    for (byte b : key) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(key, StandardCharsets.US_ASCII);
    }
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(key));
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private record Target(FunctionType type, String valueType) {}

  private record TopicRoute(
      List<KafkaIngressSpec> ingresses,
      List<TypeName> ingressIds,
      List<Target> targets,
      int maxRecordBytes,
      ForwardHeaders forwardHeaders) {

    RoutingException failure(Reason reason, String topic, String detail) {
      return new RoutingException(reason, topic, ingressIds, detail);
    }
  }
}
