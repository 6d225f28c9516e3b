package io.kstatefun.runtime.topology;

import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.config.KStatefunConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the topics a runtime needs before Kafka Streams starts: creates the loopback, doorbell
 * and dead-letter topics when missing, and checks that every ingress topic exists.
 */
public final class TopicSetup {

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);
  private static final long TIMEOUT_S = 30;

  private TopicSetup() {}

  /**
   * Creates or checks the topics and returns the number of address partitions (the loopback
   * topic's partition count).
   *
   * @throws IllegalStateException naming what is wrong, e.g. missing ingress topics
   */
  public static int prepare(Admin admin, KStatefunConfig config, ModuleSpec module) {
    checkTopicRoles(config, module);
    try {
      Set<String> ingress = new LinkedHashSet<>();
      Map<String, List<String>> declaredBy = new LinkedHashMap<>();
      Set<String> deadLetterTopics = new LinkedHashSet<>();
      deadLetterTopics.add(config.deadLetterTopic());
      for (KafkaIngressSpec spec : module.ingresses()) {
        for (IngressTopic topic : spec.topics()) {
          ingress.add(topic.topic());
          declaredBy.computeIfAbsent(topic.topic(), t -> new ArrayList<>()).add(spec.id().toString());
        }
        spec.deadLetterTopic().ifPresent(deadLetterTopics::add);
      }
      Map<String, TopicDescription> existing = describe(admin, ingress);
      List<String> missing = new ArrayList<>();
      for (String topic : ingress) {
        if (!existing.containsKey(topic)) {
          missing.add(topic + " (ingress " + String.join(", ", declaredBy.get(topic)) + ")");
        }
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException(
            "ingress topics do not exist: " + String.join("; ", missing)
                + ". Create them before starting kstatefun (e.g. bin/kstatefun topic create NAME --partitions N, or Kafka's kafka-topics).");
      }

      short rf = config.getShort(KStatefunConfig.REPLICATION_FACTOR_CONFIG);
      int partitions =
          ensure(admin, config.loopbackTopic(), config.getInt(KStatefunConfig.PARTITIONS_CONFIG), rf, Map.of());
      if (config.getBoolean(KStatefunConfig.DOORBELL_ENABLED_CONFIG)) {
        int doorbell =
            ensure(
                admin,
                config.doorbellTopic(),
                partitions,
                rf,
                Map.of(
                    TopicConfig.RETENTION_MS_CONFIG, "3600000",
                    TopicConfig.SEGMENT_MS_CONFIG, "600000",
                    TopicConfig.SEGMENT_BYTES_CONFIG, "16777216"));
        if (doorbell != partitions) {
          throw new IllegalStateException(
              "doorbell topic " + config.doorbellTopic() + " has " + doorbell
                  + " partitions but the loopback topic " + config.loopbackTopic() + " has " + partitions
                  + "; they must match. Delete the doorbell topic (it holds no data) and restart.");
        }
      }
      for (String dlq : deadLetterTopics) {
        ensure(admin, dlq, 1, rf, Map.of());
      }
      return partitions;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while preparing topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot prepare kstatefun topics: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that no ingress reads a topic the runtime writes for itself. An ingress on the loopback
   * or doorbell topic would misread the runtime's records; an ingress on a dead-letter topic would
   * read its own rejects back and dead-letter them again, forever.
   *
   * <p>This is also why a record from an undeclared topic cannot reach the dispatcher: the topology
   * subscribes to the declared ingress topics by name (no patterns) plus the loopback and doorbell
   * topics, and the dispatcher tells those two apart before routing. The {@code UNDECLARED_TOPIC}
   * dead-letter reason only guards that invariant.
   *
   * @throws IllegalStateException naming the topic and its two roles
   */
  static void checkTopicRoles(KStatefunConfig config, ModuleSpec module) {
    Map<String, String> roles = new LinkedHashMap<>();
    roles.put(config.loopbackTopic(), "the loopback topic (kstatefun.loopback.topic)");
    if (config.getBoolean(KStatefunConfig.DOORBELL_ENABLED_CONFIG)) {
      roles.putIfAbsent(config.doorbellTopic(), "the doorbell topic (kstatefun.doorbell.topic)");
    }
    roles.putIfAbsent(config.deadLetterTopic(), "the default dead-letter topic (kstatefun.dead.letter.topic)");
    for (KafkaIngressSpec spec : module.ingresses()) {
      spec.deadLetterTopic()
          .ifPresent(t -> roles.putIfAbsent(t, "the dead-letter topic of ingress " + spec.id()));
    }
    List<String> problems = new ArrayList<>();
    for (KafkaIngressSpec spec : module.ingresses()) {
      for (IngressTopic topic : spec.topics()) {
        String role = roles.get(topic.topic());
        if (role != null) {
          problems.add("ingress " + spec.id() + " reads topic " + topic.topic() + ", which is " + role);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          String.join("; ", problems) + ". Ingress topics must not be topics the runtime writes itself.");
    }
  }

  private static Map<String, TopicDescription> describe(Admin admin, Collection<String> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, TopicDescription> out = new LinkedHashMap<>();
    for (String topic : topics) {
      describeOne(admin, topic).ifPresent(d -> out.put(topic, d));
    }
    return out;
  }

  private static Optional<TopicDescription> describeOne(Admin admin, String topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      return Optional.of(
          admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).get(topic));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static int ensure(Admin admin, String topic, int partitions, short rf, Map<String, String> configs)
      throws InterruptedException, ExecutionException, TimeoutException {
    Optional<TopicDescription> d = describeOne(admin, topic);
    if (d.isPresent()) {
      return d.get().partitions().size();
    }
    NewTopic newTopic =
        rf > 0
            ? new NewTopic(topic, partitions, rf)
            : new NewTopic(topic, Optional.of(partitions), Optional.empty());
    newTopic.configs(configs);
    try {
      admin.createTopics(List.of(newTopic)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
      LOG.info("Created topic {} with {} partitions", topic, partitions);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    return describeOne(admin, topic).map(x -> x.partitions().size()).orElse(partitions);
  }
}
