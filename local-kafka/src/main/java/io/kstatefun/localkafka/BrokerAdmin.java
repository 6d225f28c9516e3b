package io.kstatefun.localkafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Readiness checks, warm-up and topic helpers, all through the public client API. */
final class BrokerAdmin {

  /** Topic written by the start-up warm-up; deleted again once the warm-up has committed. */
  static final String WARMUP_TOPIC = "_kstatefun-broker-warmup";

  private static final Logger LOG = LoggerFactory.getLogger(BrokerAdmin.class);
  private static final String WARMUP_GROUP = "_kstatefun-broker-warmup";
  private static final long RETRY_MILLIS = 100;

  private BrokerAdmin() {}

  static Admin admin(String bootstrapServers) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kstatefun-local-kafka-admin");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    return Admin.create(props);
  }

  /**
   * Waits until the broker behind {@code bootstrapServers} answers and reports node {@code nodeId}
   * as a live (unfenced) broker.
   */
  static void awaitNodeReady(
      String bootstrapServers, int nodeId, long deadlineNanos, BooleanSupplier aborted) {
    try (Admin admin = admin(bootstrapServers)) {
      Exception last = null;
      while (!KafkaSupport.expired(deadlineNanos)) {
        checkAborted(aborted);
        try {
          Collection<Node> nodes =
              admin
                  .describeCluster(
                      new DescribeClusterOptions().timeoutMs(timeoutMs(deadlineNanos, 5_000)))
                  .nodes()
                  .get(KafkaSupport.remainingMillis(deadlineNanos) + 100, TimeUnit.MILLISECONDS);
          if (nodes.stream().anyMatch(n -> n.id() == nodeId)) {
            return;
          }
          last = new IllegalStateException("node " + nodeId + " not among live brokers " + nodes);
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for node " + nodeId, e);
        }
        KafkaSupport.sleepQuietly(RETRY_MILLIS);
      }
      throw timeout(
          "node " + nodeId + " at " + bootstrapServers + " did not become a live broker", last);
    }
  }

  /**
   * Blocks until a topic can be created and a transaction (with a produced record and a
   * transactional offset commit) has committed and become visible to {@code read_committed}
   * readers. This also creates the transaction state and consumer offsets topics, so the first
   * exactly-once application does not pay for it. Removes its topic and group afterwards.
   */
  static void warmUp(String bootstrapServers, long deadlineNanos, BooleanSupplier aborted) {
    try (Admin admin = admin(bootstrapServers)) {
      createWarmupTopic(admin, deadlineNanos, aborted);
      TopicPartition tp = new TopicPartition(WARMUP_TOPIC, 0);
      long lastOffset = commitTransactions(bootstrapServers, tp, deadlineNanos, aborted);
      awaitCommittedVisible(admin, tp, lastOffset, deadlineNanos, aborted);
      cleanUp(admin, deadlineNanos);
    }
  }

  private static void createWarmupTopic(Admin admin, long deadlineNanos, BooleanSupplier aborted) {
    Exception last = null;
    while (!KafkaSupport.expired(deadlineNanos)) {
      checkAborted(aborted);
      try {
        admin
            .createTopics(List.of(new NewTopic(WARMUP_TOPIC, Optional.of(1), Optional.empty())))
            .all()
            .get(
                Math.min(KafkaSupport.remainingMillis(deadlineNanos), 10_000) + 100,
                TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof TopicExistsException) {
          return;
        }
        last = e;
      } catch (TimeoutException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during Kafka warm-up", e);
      }
      KafkaSupport.sleepQuietly(RETRY_MILLIS);
    }
    throw timeout("could not create the warm-up topic " + WARMUP_TOPIC, last);
  }

  /**
   * Commits two transactions with one producer; retried with a fresh producer on any error (a
   * freshly formatted broker has been seen to fail the very first transactions).
   */
  private static long commitTransactions(
      String bootstrapServers, TopicPartition tp, long deadlineNanos, BooleanSupplier aborted) {
    Exception last = null;
    while (!KafkaSupport.expired(deadlineNanos)) {
      checkAborted(aborted);
      int budget = timeoutMs(deadlineNanos, 15_000);
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      props.put(ProducerConfig.CLIENT_ID_CONFIG, "kstatefun-local-kafka-warmup");
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kstatefun-warmup-" + UUID.randomUUID());
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, budget);
      props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(budget, 5_000));
      props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(budget, 5_000));
      props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20_000);
      props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 50);
      props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
      props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
          KafkaConsumer<byte[], byte[]> groupHolder = groupHolder(bootstrapServers)) {
        producer.initTransactions();
        long offset = -1;
        for (int i = 0; i < 2; i++) {
          producer.beginTransaction();
          RecordMetadata md =
              producer
                  .send(
                      new ProducerRecord<>(tp.topic(), tp.partition(), null, new byte[] {(byte) i}))
                  .get(budget, TimeUnit.MILLISECONDS);
          if (i == 0) {
            producer.sendOffsetsToTransaction(
                Map.of(tp, new OffsetAndMetadata(0)), groupHolder.groupMetadata());
          }
          producer.commitTransaction();
          offset = md.offset();
        }
        return offset;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during Kafka warm-up", e);
      } catch (Exception e) {
        last = e;
        LOG.info(
            "Kafka warm-up transaction failed, retrying with a new producer: {}",
            KafkaSupport.describe(e));
      }
      KafkaSupport.sleepQuietly(RETRY_MILLIS);
    }
    throw timeout("no warm-up transaction could commit", last);
  }

  /** A consumer that never polls: only the source of the group metadata for the offset commit. */
  private static KafkaConsumer<byte[], byte[]> groupHolder(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kstatefun-local-kafka-warmup");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, WARMUP_GROUP);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(props);
  }

  private static void awaitCommittedVisible(
      Admin admin, TopicPartition tp, long offset, long deadlineNanos, BooleanSupplier aborted) {
    Exception last = null;
    while (!KafkaSupport.expired(deadlineNanos)) {
      checkAborted(aborted);
      try {
        long lso =
            admin
                .listOffsets(
                    Map.of(tp, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .partitionResult(tp)
                .get(
                    Math.min(KafkaSupport.remainingMillis(deadlineNanos), 5_000) + 100,
                    TimeUnit.MILLISECONDS)
                .offset();
        if (lso > offset) {
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during Kafka warm-up", e);
      }
      KafkaSupport.sleepQuietly(20);
    }
    throw timeout("the warm-up transaction did not become visible to read_committed readers", last);
  }

  private static void cleanUp(Admin admin, long deadlineNanos) {
    long wait = Math.max(1_000, Math.min(5_000, KafkaSupport.remainingMillis(deadlineNanos)));
    try {
      admin.deleteConsumerGroups(List.of(WARMUP_GROUP)).all().get(wait, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (ExecutionException | TimeoutException e) {
      // best effort
    }
    try {
      admin.deleteTopics(List.of(WARMUP_TOPIC)).all().get(wait, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // best effort
    }
  }

  /**
   * Creates the topics (replication factor and configs as given in each {@link NewTopic}, broker
   * defaults when empty) and waits until every partition has a leader.
   */
  static void createTopics(String bootstrapServers, Collection<NewTopic> topics, Duration timeout) {
    if (topics.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> names = topics.stream().map(NewTopic::name).collect(Collectors.toList());
    try (Admin admin = admin(bootstrapServers)) {
      admin
          .createTopics(new ArrayList<>(topics))
          .all()
          .get(KafkaSupport.remainingMillis(deadline), TimeUnit.MILLISECONDS);
      Exception last = null;
      while (!KafkaSupport.expired(deadline)) {
        try {
          Map<String, TopicDescription> descriptions =
              admin
                  .describeTopics(names)
                  .allTopicNames()
                  .get(
                      Math.min(KafkaSupport.remainingMillis(deadline), 5_000) + 100,
                      TimeUnit.MILLISECONDS);
          boolean allLed =
              descriptions.values().stream()
                  .flatMap(d -> d.partitions().stream())
                  .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
          if (allLed && descriptions.keySet().containsAll(names)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        KafkaSupport.sleepQuietly(50);
      }
      throw timeout("topics " + names + " were created but not all partitions got a leader", last);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not create topics " + names + ": " + KafkaSupport.describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics " + names, e);
    }
  }

  /** Waits until every partition of every (non-internal) topic has its full replica set in sync. */
  static void awaitFullyReplicated(String bootstrapServers, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lagging = "?";
    Exception last = null;
    try (Admin admin = admin(bootstrapServers)) {
      while (!KafkaSupport.expired(deadline)) {
        try {
          int budget = timeoutMs(deadline, 5_000) + 100;
          Set<String> listing =
              admin
                  .listTopics(new ListTopicsOptions().listInternal(true))
                  .names()
                  .get(budget, TimeUnit.MILLISECONDS);
          Map<String, TopicDescription> descriptions =
              admin.describeTopics(listing).allTopicNames().get(budget, TimeUnit.MILLISECONDS);
          List<String> behind = new ArrayList<>();
          for (TopicDescription d : descriptions.values()) {
            for (TopicPartitionInfo p : d.partitions()) {
              if (p.isr().size() < p.replicas().size()
                  || p.leader() == null
                  || p.leader().isEmpty()) {
                behind.add(d.name() + "-" + p.partition());
              }
            }
          }
          if (behind.isEmpty()) {
            return;
          }
          lagging = behind.size() > 10 ? behind.subList(0, 10) + "..." : behind.toString();
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for replication", e);
        }
        KafkaSupport.sleepQuietly(200);
      }
    }
    throw timeout("partitions still under-replicated after " + timeout + ": " + lagging, last);
  }

  private static int timeoutMs(long deadlineNanos, int max) {
    return (int) Math.max(1_000, Math.min(max, KafkaSupport.remainingMillis(deadlineNanos)));
  }

  private static void checkAborted(BooleanSupplier aborted) {
    if (aborted.getAsBoolean()) {
      throw new IllegalStateException("aborted: the broker is being closed");
    }
  }

  private static IllegalStateException timeout(String what, Exception last) {
    String detail = last == null ? "" : " (last error: " + KafkaSupport.describe(last) + ")";
    return new IllegalStateException("timed out: " + what + detail, last);
  }
}
