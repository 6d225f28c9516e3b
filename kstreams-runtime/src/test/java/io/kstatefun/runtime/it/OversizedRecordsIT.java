package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import io.kstatefun.runtime.testing.EchoFunction;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.sdk.TypeName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records larger than the runtime can write, on a real broker: a 5 MiB ingress record (the topic
 * accepts 16 MiB, {@code maxRecordBytes} is at its default 1 MiB) and a record of exactly {@code
 * maxRecordBytes}, each between good records on the same partition. The large ones are
 * dead-lettered, the good ones processed exactly once, and no stream thread fails.
 */
class OversizedRecordsIT {

  private static final TypeName ECHO = TypeName.of("big", "echo");
  private static final TypeName EGRESS = TypeName.of("big", "out");
  private static final int MIB = 1024 * 1024;
  private static final int GOOD_PER_BLOCK = 100;

  private static LocalKafkaBroker kafka;

  @BeforeAll
  static void startKafka() {
    kafka = LocalKafkaBroker.builder().start();
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
            "  functions: big/*",
            "  urlPathTemplate: " + url,
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: big/in",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + in,
            "      valueType: big/raw",
            "      targets:",
            "        - big/echo",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: big/out",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""),
        "module.yaml");
  }

  @Test
  @Timeout(240)
  void shouldDeadLetterOversizedRecordsAndProcessTheRecordsAroundThemExactlyOnce(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    String app = "big-" + suffix;
    String dlq = app + "-dead-letters";
    kafka.createTopics(
        List.of(
            new NewTopic(in, 1, (short) 1)
                .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(16 * MIB))),
            new NewTopic(out, 1, (short) 1)));
    Map<String, Object> props =
        new HashMap<>(
            KafkaIO.runtimeProps(app, kafka.bootstrapServers(), dir.resolve("state").toString()));
    props.put("kstatefun.partitions", 4); // good records also cross the loopback topic

    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * MIB);
    byte[] huge = pattern(5 * MIB);
    byte[] edge = pattern(MIB); // exactly maxRecordBytes
    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KStatefunRuntime runtime = KStatefunRuntime.start(module(echo.urlTemplate(), in), props);
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out);
        KafkaConsumer<byte[], byte[]> deadLetters =
            KafkaIO.committedReader(kafka.bootstrapServers(), dlq)) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      int good = 0;
      for (int i = 0; i < GOOD_PER_BLOCK; i++) {
        producer.send(new ProducerRecord<>(in, 0, utf8("good-" + good++), utf8("before")));
      }
      RecordMetadata hugeAt = producer.send(new ProducerRecord<>(in, 0, utf8("huge"), huge)).get();
      for (int i = 0; i < GOOD_PER_BLOCK; i++) {
        producer.send(new ProducerRecord<>(in, 0, utf8("good-" + good++), utf8("between")));
      }
      RecordMetadata edgeAt = producer.send(new ProducerRecord<>(in, 0, utf8("edge"), edge)).get();
      for (int i = 0; i < GOOD_PER_BLOCK; i++) {
        producer.send(new ProducerRecord<>(in, 0, utf8("good-" + good++), utf8("after")));
      }
      producer.flush();
      int goodTotal = good;

      List<ConsumerRecord<byte[], byte[]>> processed = new ArrayList<>();
      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (processed.size() + dead.size() < goodTotal + 2 && System.nanoTime() < deadline) {
        KafkaIO.drain(egress, processed, Duration.ofMillis(200));
        KafkaIO.drain(deadLetters, dead, Duration.ofMillis(200));
      }
      KafkaIO.drain(egress, processed, Duration.ofSeconds(2));
      KafkaIO.drain(deadLetters, dead, Duration.ofSeconds(1));
      double failedThreads = failedStreamThreads(runtime);
      System.out.println(
          "OversizedRecordsIT: processed="
              + processed.size()
              + " dead-lettered="
              + dead.size()
              + " failed stream threads="
              + failedThreads);

      assertThat(failedThreads).as("failed stream threads").isZero();
      assertThat(runtime.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
      Map<String, Long> counts =
          processed.stream()
              .collect(
                  Collectors.groupingBy(
                      r -> KafkaIO.utf8(r.key()), TreeMap::new, Collectors.counting()));
      for (int i = 0; i < goodTotal; i++) {
        assertThat(counts.get("good-" + i)).as("deliveries of good-" + i).isEqualTo(1L);
      }
      assertThat(processed).hasSize(goodTotal);

      assertThat(dead).hasSize(2);
      ConsumerRecord<byte[], byte[]> hugeDead = bySourceOffset(dead, hugeAt.offset());
      ConsumerRecord<byte[], byte[]> edgeDead = bySourceOffset(dead, edgeAt.offset());
      for (ConsumerRecord<byte[], byte[]> r : List.of(hugeDead, edgeDead)) {
        assertThat(header(r, DeadLetters.REASON)).isEqualTo("RECORD_TOO_LARGE");
        assertThat(header(r, DeadLetters.FORMAT)).isEqualTo(DeadLetters.FORMAT_INGRESS);
        assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo(in);
        assertThat(header(r, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(r, DeadLetters.TRUNCATED)).isEqualTo("value");
        assertThat(r.value().length).isLessThan(MIB);
        assertThat(r.value())
            .isEqualTo(Arrays.copyOf(huge, r.value().length)); // a prefix of the original
      }
      assertThat(KafkaIO.utf8(hugeDead.key())).isEqualTo("huge");
      assertThat(header(hugeDead, DeadLetters.ORIGINAL_VALUE_SIZE))
          .isEqualTo(Integer.toString(5 * MIB));
      assertThat(header(hugeDead, DeadLetters.DETAIL))
          .contains("5242880 bytes", "maxRecordBytes 1048576");
      assertThat(KafkaIO.utf8(edgeDead.key())).isEqualTo("edge");
      assertThat(header(edgeDead, DeadLetters.ORIGINAL_VALUE_SIZE))
          .isEqualTo(Integer.toString(MIB));
      assertThat(header(edgeDead, DeadLetters.DETAIL)).contains("max.request.size");
    }
  }

  /** Kafka Streams' client metric: stream threads that failed since the client started. */
  private static double failedStreamThreads(KStatefunRuntime runtime) {
    return runtime.streams().metrics().values().stream()
        .filter(m -> m.metricName().name().equals("failed-stream-threads"))
        .mapToDouble(m -> ((Number) m.metricValue()).doubleValue())
        .sum();
  }

  private static ConsumerRecord<byte[], byte[]> bySourceOffset(
      List<ConsumerRecord<byte[], byte[]>> dead, long offset) {
    return dead.stream()
        .filter(r -> Long.toString(offset).equals(header(r, DeadLetters.SOURCE_OFFSET)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no dead letter for source offset " + offset));
  }

  /** Bytes that differ along the record, so a prefix check means something. */
  private static byte[] pattern(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + (i >>> 10));
    }
    return b;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
