package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.testing.EchoFunction;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.sdk.TypeName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loopback topic on a broker whose default retention is 3 s (checked every 200 ms): messages
 * that wait in it much longer than that, here while the runtime is down, are still delivered
 * exactly once; consumed loopback records are deleted below the application's committed offset.
 */
class LoopbackRetentionIT {

  private static final TypeName ECHO = TypeName.of("parked", "echo");
  private static final TypeName EGRESS = TypeName.of("parked", "out");
  private static final int PARTITIONS = 4;
  private static final int PARKED = 40;

  private static LocalKafkaBroker kafka;

  @BeforeAll
  static void startKafka() {
    kafka =
        LocalKafkaBroker.builder()
            .brokerProperty("log.retention.ms", "3000")
            .brokerProperty("log.retention.check.interval.ms", "200")
            .start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static ModuleSpec module(String url, String in) {
    return ModuleParser.parse(
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: parked/*",
            "  urlPathTemplate: " + url,
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: parked/in",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + in,
            "      valueType: parked/raw",
            "      targets:",
            "        - parked/echo",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: parked/out",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""),
        "module.yaml");
  }

  private static NewTopic keptForever(String name) {
    return new NewTopic(name, 1, (short) 1).configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1"));
  }

  @Test
  @Timeout(240)
  void shouldDeliverMessagesParkedInTheLoopbackTopicLongerThanTheBrokersRetentionExactlyOnce(
      @TempDir Path dir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    String control = "control-" + suffix;
    String app = "parked-" + suffix;
    String loopback = app + "-loopback";
    kafka.createTopics(List.of(keptForever(in), keptForever(out)));
    kafka.createTopic(control, 1); // the broker's default retention
    Map<String, Object> props =
        new HashMap<>(
            KafkaIO.runtimeProps(app, kafka.bootstrapServers(), dir.resolve("state").toString()));
    props.put("kstatefun.partitions", PARTITIONS);
    props.put("kstatefun.loopback.purge.interval.ms", 200);

    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out);
        Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      List<ConsumerRecord<byte[], byte[]>> delivered = new ArrayList<>();

      // 1. A first run creates the runtime's topics and processes one record.
      try (KStatefunRuntime runtime =
          KStatefunRuntime.start(module(echo.urlTemplate(), in), props)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        producer.send(new ProducerRecord<>(in, utf8("first"), utf8("hello"))).get();
        KafkaIO.readUntil(egress, delivered, r -> r.size() >= 1, Duration.ofSeconds(60));
        assertThat(delivered).hasSize(1);
      }
      Config loopbackConfig =
          admin
              .describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, loopback)))
              .all()
              .get()
              .values()
              .iterator()
              .next();
      System.out.println(
          "LoopbackRetentionIT: loopback topic "
              + loopback
              + ": retention.ms="
              + loopbackConfig.get(TopicConfig.RETENTION_MS_CONFIG).value()
              + " retention.bytes="
              + loopbackConfig.get(TopicConfig.RETENTION_BYTES_CONFIG).value()
              + " cleanup.policy="
              + loopbackConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value());

      // 2. While the runtime is down, messages wait in the loopback topic (as a re-injection by
      //    `kstatefun dlq --reinject` leaves them), for longer than the broker's retention: until
      //    the broker has deleted a record of a topic with its default retention written after
      // them.
      for (int i = 0; i < PARKED; i++) {
        String id = "parked-" + i;
        producer
            .send(
                new ProducerRecord<>(
                    loopback,
                    AddressPartitioner.partition(id, PARTITIONS),
                    utf8(id),
                    envelope(id).toByteArray()))
            .get();
      }
      producer.send(new ProducerRecord<>(control, utf8("c"), utf8("deleted by retention"))).get();
      TopicPartition controlPartition = new TopicPartition(control, 0);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (earliest(admin, List.of(controlPartition)).get(controlPartition) == 0
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(earliest(admin, List.of(controlPartition)).get(controlPartition))
          .as("the broker deleted the control record (retention works on this broker)")
          .isEqualTo(1L);
      Thread.sleep(1_000); // one more retention pass for good measure (checks run every 200 ms)

      // 3. Restarted, the runtime delivers every parked message exactly once.
      try (KStatefunRuntime runtime =
          KStatefunRuntime.start(module(echo.urlTemplate(), in), props)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        KafkaIO.readUntil(egress, delivered, r -> r.size() >= 1 + PARKED, Duration.ofSeconds(30));
        KafkaIO.drain(egress, delivered, Duration.ofSeconds(2));
        Map<String, Long> counts =
            delivered.stream()
                .collect(
                    Collectors.groupingBy(
                        r -> KafkaIO.utf8(r.key()), TreeMap::new, Collectors.counting()));
        System.out.println(
            "LoopbackRetentionIT: delivered "
                + delivered.size()
                + " records for "
                + counts.size()
                + " ids");
        for (int i = 0; i < PARKED; i++) {
          assertThat(counts.get("parked-" + i)).as("deliveries of parked-" + i).isEqualTo(1L);
        }
        assertThat(delivered).hasSize(1 + PARKED);

        // 4. Consumed loopback records are deleted, never beyond the committed offset.
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          partitions.add(new TopicPartition(loopback, p));
        }
        Map<TopicPartition, Long> committed = new HashMap<>();
        Map<TopicPartition, Long> start = Map.of();
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
          start = earliest(admin, partitions);
          committed = committed(admin, app, partitions);
          for (TopicPartition tp : partitions) {
            committed.putIfAbsent(tp, 0L); // nothing committed: nothing may be deleted
            assertThat(start.get(tp))
                .as("start of " + tp + " <= its committed offset")
                .isLessThanOrEqualTo(committed.get(tp));
          }
          if (committed.values().stream().mapToLong(Long::longValue).sum() >= PARKED
              && start.equals(committed)) {
            break;
          }
          Thread.sleep(200);
        }
        System.out.println(
            "LoopbackRetentionIT: loopback committed " + committed + ", log start " + start);
        assertThat(committed.values().stream().mapToLong(Long::longValue).sum())
            .isGreaterThanOrEqualTo(PARKED);
        assertThat(start).as("consumed loopback records are purged").isEqualTo(committed);
      }
      assertThat(loopbackConfig.get(TopicConfig.RETENTION_MS_CONFIG).value()).isEqualTo("-1");
      assertThat(loopbackConfig.get(TopicConfig.RETENTION_BYTES_CONFIG).value()).isEqualTo("-1");
      assertThat(loopbackConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("delete");
      Config dlqConfig =
          admin
              .describeConfigs(
                  List.of(new ConfigResource(ConfigResource.Type.TOPIC, app + "-dead-letters")))
              .all()
              .get()
              .values()
              .iterator()
              .next();
      assertThat(dlqConfig.get(TopicConfig.RETENTION_MS_CONFIG).value())
          .as("dead letters are kept until deleted by hand, not for the broker's 3 s")
          .isEqualTo("-1");
    }
  }

  @Test
  @Timeout(120)
  void shouldRefuseToStartOnALoopbackTopicThatDeletesUnconsumedMessages(@TempDir Path dir) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String app = "refused-" + suffix;
    kafka.createTopics(List.of(keptForever(in)));
    kafka.createTopic(app + "-loopback", PARTITIONS); // the broker's default retention: 3 s
    Map<String, Object> props =
        KafkaIO.runtimeProps(app, kafka.bootstrapServers(), dir.resolve("state").toString());

    assertThatThrownBy(
            () -> KStatefunRuntime.start(module("http://127.0.0.1:1/{function.name}", in), props))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "topic " + app + "-loopback (the loopback topic) has retention.ms=3000")
        .hasMessageContaining("--entity-name " + app + "-loopback --add-config retention.ms=-1");
  }

  private static Map<TopicPartition, Long> earliest(Admin admin, List<TopicPartition> partitions)
      throws Exception {
    Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
    partitions.forEach(tp -> spec.put(tp, OffsetSpec.earliest()));
    Map<TopicPartition, Long> out = new HashMap<>();
    admin.listOffsets(spec).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private static Map<TopicPartition, Long> committed(
      Admin admin, String group, List<TopicPartition> partitions) throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = offsets.get(tp);
      if (o != null) {
        out.put(tp, o.offset());
      }
    }
    return out;
  }

  private static Envelope envelope(String id) {
    return Envelope.newBuilder()
        .setTarget(
            io.kstatefun.protocol.Address.newBuilder()
                .setNamespace("parked")
                .setType("echo")
                .setId(id))
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("parked/raw")
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8("parked " + id)))
        .build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
