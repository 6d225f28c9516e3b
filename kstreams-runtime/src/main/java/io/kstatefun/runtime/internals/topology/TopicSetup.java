package io.kstatefun.runtime.internals.topology;

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
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the topics a runtime needs before Kafka Streams starts: creates the loopback, doorbell
 * and dead-letter topics when missing, checks that every ingress topic exists, and refuses internal
 * topics whose settings would lose data or refuse the runtime's records.
 *
 * <p>How the internal topics are configured, and why:
 *
 * <ul>
 *   <li><b>loopback</b>: {@code retention.ms=-1}, {@code retention.bytes=-1}, {@code
 *       cleanup.policy=delete}. A message between functions must wait in it for as long as it takes
 *       to be consumed (an outage, a slow consumer), so the broker must never delete it by age or
 *       size, and compaction would drop earlier messages to the same function id. It still does not
 *       grow without bound: each instance deletes the records below the application's committed
 *       offsets ({@link LoopbackPurger}), as Kafka Streams does for its repartition topics, which
 *       it creates the same way (and with the same 50 MiB segments, so that purged records free
 *       disk space soon). An existing loopback topic with finite retention or compaction is
 *       refused.
 *   <li><b>doorbell</b>: 1 h retention, small segments. Its records carry no data: they only wake a
 *       stream thread, it is read from the latest offset, and a ring lost to retention only delays
 *       work until the next punctuation. Compaction is refused (its records have no key).
 *   <li><b>dead letters</b>: {@code retention.ms} from {@value
 *       KStatefunConfig#DEAD_LETTER_RETENTION_MS_CONFIG} (default -1: kept until an operator
 *       deletes them), {@code retention.bytes=-1}, {@code cleanup.policy=delete}. An existing
 *       dead-letter topic keeps the retention its owner chose (logged at start-up); compaction is
 *       refused, since it would silently drop earlier dead letters with the same key.
 *   <li>every topic the runtime writes accepts records of the producer's {@code max.request.size}
 *       ({@code max.message.bytes}; see {@link RecordSizes}); existing ones that accept less are
 *       refused, the changelog topics included.
 * </ul>
 */
public final class TopicSetup {

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);
  private static final long TIMEOUT_S = 30;

  private TopicSetup() {}

  /**
   * Creates or checks the topics and returns the number of address partitions (the loopback topic's
   * partition count).
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
          declaredBy
              .computeIfAbsent(topic.topic(), t -> new ArrayList<>())
              .add(spec.id().toString());
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
            "ingress topics do not exist: "
                + String.join("; ", missing)
                + ". Create them before starting kstatefun (e.g. bin/kstatefun topic create NAME --partitions N, or Kafka's kafka-topics).");
      }

      short rf = config.getShort(KStatefunConfig.REPLICATION_FACTOR_CONFIG);
      int maxRequestSize = config.producerMaxRequestSize();
      int partitions =
          ensure(
              admin,
              config.loopbackTopic(),
              config.getInt(KStatefunConfig.PARTITIONS_CONFIG),
              rf,
              loopbackConfigs(maxRequestSize));
      if (config.getBoolean(KStatefunConfig.DOORBELL_ENABLED_CONFIG)) {
        // Doorbell records carry nothing and are read from the latest offset: short retention
        // loses nothing (see the class comment).
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
              "doorbell topic "
                  + config.doorbellTopic()
                  + " has "
                  + doorbell
                  + " partitions but the loopback topic "
                  + config.loopbackTopic()
                  + " has "
                  + partitions
                  + "; they must match. Delete the doorbell topic (it holds no data) and restart.");
        }
      }
      if (config.apiEnabled()) {
        // Answers to HTTP API calls: read at once by the instance that holds the call, so an hour
        // of retention loses nothing; each instance reads one partition of it.
        ensure(
            admin,
            config.apiRepliesTopic(),
            partitions,
            rf,
            Map.of(
                TopicConfig.RETENTION_MS_CONFIG, "3600000",
                TopicConfig.SEGMENT_MS_CONFIG, "600000",
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxRequestSize)));
      }
      for (String dlq : deadLetterTopics) {
        ensure(admin, dlq, 1, rf, deadLetterConfigs(config, maxRequestSize));
      }
      checkTopicConfigs(admin, config, deadLetterTopics, maxRequestSize);
      return partitions;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while preparing topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot prepare kstatefun topics: " + e.getMessage(), e);
    }
  }

  /**
   * Creates the loopback topic when missing, as {@link #prepare} does, and returns its partition
   * count: the application's number of address partitions. For tools that write an application's
   * state before its first start ({@code kstatefun state import}).
   */
  public static int ensureLoopback(Admin admin, KStatefunConfig config)
      throws InterruptedException, ExecutionException, TimeoutException {
    return ensure(
        admin,
        config.loopbackTopic(),
        config.getInt(KStatefunConfig.PARTITIONS_CONFIG),
        config.getShort(KStatefunConfig.REPLICATION_FACTOR_CONFIG),
        loopbackConfigs(config.producerMaxRequestSize()));
  }

  /**
   * Creates the missing changelog topics of the runtime's stores the way Kafka Streams creates them
   * at the first start: {@code partitions} partitions (one per task; Kafka Streams then finds them
   * as it expects and keeps them), {@code cleanup.policy=compact}, the user's {@code topic.*}
   * settings (with {@code max.message.bytes} covering the producer's {@code max.request.size}, see
   * {@link KStatefunConfig#streamsProperties}) and Kafka Streams' {@code replication.factor}. For
   * tools that write an application's state before its first start.
   *
   * @return the topics it created
   */
  public static List<String> ensureChangelogs(Admin admin, KStatefunConfig config, int partitions)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, String> configs = new LinkedHashMap<>();
    KStatefunConfig.streamsProperties(config.originals())
        .forEach(
            (k, v) -> {
              String key = k.toString();
              if (key.startsWith(org.apache.kafka.streams.StreamsConfig.TOPIC_PREFIX)) {
                configs.put(
                    key.substring(org.apache.kafka.streams.StreamsConfig.TOPIC_PREFIX.length()),
                    v.toString());
              }
            });
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    Object rf =
        config.originals().get(org.apache.kafka.streams.StreamsConfig.REPLICATION_FACTOR_CONFIG);
    short replication = rf == null ? -1 : Short.parseShort(rf.toString().trim());
    List<String> created = new ArrayList<>();
    for (String store :
        List.of(
            TopologyFactory.MAILBOX_STORE,
            TopologyFactory.STATE_STORE,
            TopologyFactory.TIMER_STORE)) {
      String topic = config.applicationId() + "-" + store + "-changelog";
      if (describeOne(admin, topic).isPresent()) {
        continue;
      }
      ensure(admin, topic, partitions, replication, configs);
      created.add(topic);
    }
    return created;
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
    roles.putIfAbsent(
        config.deadLetterTopic(), "the default dead-letter topic (kstatefun.dead.letter.topic)");
    if (config.apiEnabled()) {
      roles.putIfAbsent(
          config.apiRepliesTopic(), "the HTTP API's replies topic (kstatefun.api.replies.topic)");
    }
    for (KafkaIngressSpec spec : module.ingresses()) {
      spec.deadLetterTopic()
          .ifPresent(t -> roles.putIfAbsent(t, "the dead-letter topic of ingress " + spec.id()));
    }
    List<String> problems = new ArrayList<>();
    for (KafkaIngressSpec spec : module.ingresses()) {
      for (IngressTopic topic : spec.topics()) {
        String role = roles.get(topic.topic());
        if (role != null) {
          problems.add(
              "ingress " + spec.id() + " reads topic " + topic.topic() + ", which is " + role);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          String.join("; ", problems)
              + ". Ingress topics must not be topics the runtime writes itself.");
    }
  }

  /** The configs of a loopback topic kstatefun creates. */
  static Map<String, String> loopbackConfigs(int maxRequestSize) {
    return Map.of(
        TopicConfig.RETENTION_MS_CONFIG,
        "-1",
        TopicConfig.RETENTION_BYTES_CONFIG,
        "-1",
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.SEGMENT_BYTES_CONFIG,
        Integer.toString(50 * 1024 * 1024),
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Integer.toString(maxRequestSize));
  }

  /** The configs of a dead-letter topic kstatefun creates. */
  static Map<String, String> deadLetterConfigs(KStatefunConfig config, int maxRequestSize) {
    return Map.of(
        TopicConfig.RETENTION_MS_CONFIG,
        Long.toString(config.getLong(KStatefunConfig.DEAD_LETTER_RETENTION_MS_CONFIG)),
        TopicConfig.RETENTION_BYTES_CONFIG,
        "-1",
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Integer.toString(maxRequestSize));
  }

  /** What an internal topic is for; decides which of its settings are checked. */
  enum Role {
    LOOPBACK("the loopback topic"),
    DOORBELL("the doorbell topic"),
    DEAD_LETTERS("a dead-letter topic"),
    CHANGELOG("a changelog topic of the runtime's stores");

    private final String description;

    Role(String description) {
      this.description = description;
    }
  }

  /**
   * Checks the effective configs of the runtime's existing topics (the loopback, doorbell,
   * dead-letter and changelog topics) and logs how long each dead-letter topic keeps records.
   *
   * @throws IllegalStateException naming every topic, setting and fix
   */
  private static void checkTopicConfigs(
      Admin admin, KStatefunConfig config, Collection<String> deadLetterTopics, int maxRequestSize)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, Role> roles = new LinkedHashMap<>();
    roles.put(config.loopbackTopic(), Role.LOOPBACK);
    if (config.getBoolean(KStatefunConfig.DOORBELL_ENABLED_CONFIG)) {
      roles.putIfAbsent(config.doorbellTopic(), Role.DOORBELL);
    }
    deadLetterTopics.forEach(t -> roles.putIfAbsent(t, Role.DEAD_LETTERS));
    for (String store :
        List.of(
            TopologyFactory.MAILBOX_STORE,
            TopologyFactory.STATE_STORE,
            TopologyFactory.TIMER_STORE)) {
      String changelog = config.applicationId() + "-" + store + "-changelog";
      if (describeOne(admin, changelog).isPresent()) {
        roles.putIfAbsent(changelog, Role.CHANGELOG);
      }
    }
    List<ConfigResource> resources = new ArrayList<>();
    roles.keySet().forEach(t -> resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t)));
    Map<ConfigResource, Config> described = describeConfigs(admin, resources);
    List<String> problems = new ArrayList<>();
    String bootstrap = String.valueOf(config.originals().get("bootstrap.servers"));
    for (Map.Entry<String, Role> e : roles.entrySet()) {
      Map<String, String> configs = new LinkedHashMap<>();
      Config c = described.get(new ConfigResource(ConfigResource.Type.TOPIC, e.getKey()));
      if (c != null) {
        for (ConfigEntry entry : c.entries()) {
          configs.put(entry.name(), entry.value());
        }
      }
      checkTopic(e.getKey(), e.getValue(), configs, maxRequestSize, bootstrap)
          .ifPresent(problems::add);
      if (e.getValue() == Role.DEAD_LETTERS) {
        String retention = configs.get(TopicConfig.RETENTION_MS_CONFIG);
        LOG.info(
            "Dead-letter topic {} keeps dead letters {} (retention.ms={}, retention.bytes={})",
            e.getKey(),
            "-1".equals(retention) ? "until they are deleted by hand" : "for " + retention + " ms",
            retention,
            configs.get(TopicConfig.RETENTION_BYTES_CONFIG));
      }
    }
    Object changelogLimit = config.originals().get("topic." + TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    if (changelogLimit != null
        && Long.parseLong(changelogLimit.toString().trim()) < maxRequestSize) {
      problems.add(
          "topic.max.message.bytes="
              + changelogLimit
              + " (the limit of the changelog topics Kafka Streams "
              + "creates) is less than the producer's max.request.size "
              + maxRequestSize
              + ": state records the producer accepts would be refused. Remove the setting or raise it to "
              + maxRequestSize);
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "kstatefun's topics are configured so that they would lose or refuse the runtime's records: "
              + String.join("; ", problems));
    }
  }

  /**
   * What is wrong with an internal topic's effective configs, with the command that fixes it, or
   * empty. The loopback topic must keep records until they are consumed (no retention by time or
   * size, no compaction); dead-letter topics must not be compacted; the doorbell topic must not be
   * compacted (its records have no key); every topic the runtime writes must accept records of
   * {@code maxRequestSize} bytes.
   */
  static Optional<String> checkTopic(
      String topic, Role role, Map<String, String> configs, int maxRequestSize, String bootstrap) {
    List<String> why = new ArrayList<>();
    List<String> fix = new ArrayList<>();
    String policy =
        configs.getOrDefault(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    boolean compacted = policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT);
    switch (role) {
      case LOOPBACK -> {
        for (String key :
            List.of(TopicConfig.RETENTION_MS_CONFIG, TopicConfig.RETENTION_BYTES_CONFIG)) {
          String value = configs.get(key);
          if (value != null && Long.parseLong(value.trim()) >= 0) {
            why.add(
                key
                    + "="
                    + value
                    + " (the broker deletes messages between functions that are not consumed in time,"
                    + " and they are never delivered; kstatefun deletes consumed loopback records itself)");
            fix.add(key + "=-1");
          }
        }
        if (compacted) {
          why.add(
              "cleanup.policy="
                  + policy
                  + " (compaction drops earlier messages to the same function id)");
          fix.add("cleanup.policy=delete");
        }
      }
      case DEAD_LETTERS -> {
        if (compacted) {
          why.add(
              "cleanup.policy="
                  + policy
                  + " (compaction silently drops earlier dead letters with the same key,"
                  + " and dead letters without a key are refused)");
          fix.add("cleanup.policy=delete");
        }
      }
      case DOORBELL -> {
        if (compacted) {
          why.add(
              "cleanup.policy=" + policy + " (doorbell records have no key and would be refused)");
          fix.add("cleanup.policy=delete");
        }
      }
      case CHANGELOG -> {
        // Kafka Streams owns its changelogs' other settings.
      }
    }
    if (role != Role.DOORBELL) {
      String value = configs.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (value != null && Long.parseLong(value.trim()) < maxRequestSize) {
        why.add(
            "max.message.bytes="
                + value
                + " (less than the Kafka Streams producer's max.request.size "
                + maxRequestSize
                + ": records the runtime may write would be refused; or lower producer.max.request.size)");
        fix.add("max.message.bytes=" + maxRequestSize);
      }
    }
    if (why.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "topic "
            + topic
            + " ("
            + role.description
            + ") has "
            + String.join(", ", why)
            + ". Fix: kafka-configs --bootstrap-server "
            + bootstrap
            + " --alter --entity-type topics --entity-name "
            + topic
            + " --add-config "
            + String.join(",", fix));
  }

  /**
   * The effective configs of topics, retried while a topic created a moment ago is not known to the
   * broker that answers yet.
   */
  private static Map<ConfigResource, Config> describeConfigs(
      Admin admin, List<ConfigResource> resources)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (true) {
      try {
        return admin.describeConfigs(resources).all().get(TIMEOUT_S, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
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
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TIMEOUT_S, TimeUnit.SECONDS)
              .get(topic));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static int ensure(
      Admin admin, String topic, int partitions, short rf, Map<String, String> configs)
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
