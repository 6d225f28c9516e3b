package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.cli.KStatefunCli;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import io.kstatefun.runtime.testing.EchoFunction;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.sdk.TypeName;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of bad input on a real broker: every kind of unroutable ingress record, garbage in the
 * loopback topic, and the per-ingress policies. Every record must end up processed, dead-lettered
 * with the right reason and provenance, or (policy skip) counted as skipped; the application keeps
 * running.
 */
class BadInputIT {

  private static final TypeName ECHO = TypeName.of("bad", "echo");
  private static final TypeName EGRESS = TypeName.of("bad", "out");
  private static final int MAX_RECORD_BYTES = 1000;

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

  private static Path module(
      Path dir, String url, String main, String skip, String own, String ownDlq, String failing)
      throws Exception {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "kind: io.statefun.endpoints.v2/http",
                "spec:",
                "  functions: bad/*",
                "  urlPathTemplate: " + url,
                "---",
                "kind: io.statefun.kafka.v1/ingress",
                "spec:",
                "  id: bad/main",
                "  startupPosition:",
                "    type: earliest",
                "  maxRecordBytes: " + MAX_RECORD_BYTES,
                "  topics:",
                "    - topic: " + main,
                "      valueType: bad/raw",
                "      targets:",
                "        - bad/echo"));
    if (skip != null) {
      lines.addAll(
          List.of(
              "---",
              "kind: io.statefun.kafka.v1/ingress",
              "spec:",
              "  id: bad/skipping",
              "  startupPosition:",
              "    type: earliest",
              "  onError: skip",
              "  topics:",
              "    - topic: " + skip,
              "      valueType: bad/raw",
              "      targets:",
              "        - bad/echo",
              "---",
              "kind: io.statefun.kafka.v1/ingress",
              "spec:",
              "  id: bad/own",
              "  startupPosition:",
              "    type: earliest",
              "  deadLetterTopic: " + ownDlq,
              "  topics:",
              "    - topic: " + own,
              "      valueType: bad/raw",
              "      targets:",
              "        - bad/echo"));
    }
    if (failing != null) {
      lines.addAll(
          List.of(
              "---",
              "kind: io.statefun.kafka.v1/ingress",
              "spec:",
              "  id: bad/failing",
              "  startupPosition:",
              "    type: earliest",
              "  onError: fail",
              "  topics:",
              "    - topic: " + failing,
              "      valueType: bad/raw",
              "      targets:",
              "        - bad/echo"));
    }
    lines.addAll(
        List.of(
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: bad/out",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""));
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, String.join("\n", lines));
    return file;
  }

  /** What a produced record should become. */
  private record Expectation(String topic, int partition, long offset, String reason) {}

  private static RecordMetadata send(
      KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record)
      throws Exception {
    return producer.send(record).get();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @Timeout(180)
  void shouldDeadLetterOrProcessEveryRecordOfABadInputCorpusAndKeepRunning(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String main = "main-" + suffix;
    String skip = "skip-" + suffix;
    String own = "own-" + suffix;
    String ownDlq = "own-dlq-" + suffix;
    String out = "out-" + suffix;
    String app = "bad-" + suffix;
    String dlq = app + "-dead-letters";
    String loopback = app + "-loopback";
    kafka.createTopics(Map.of(main, 3, skip, 1, own, 1, out, 1));
    AtomicInteger skipped = new AtomicInteger();
    RuntimeListener listener =
        new RuntimeListener() {
          @Override
          public void ingressRejected(
              String topic, String reason, KafkaIngressSpec.OnError policy) {
            if (policy == KafkaIngressSpec.OnError.SKIP) {
              skipped.incrementAndGet();
            }
          }
        };
    Map<String, Object> props =
        new HashMap<>(
            KafkaIO.runtimeProps(app, kafka.bootstrapServers(), dir.resolve("state").toString()));
    props.put("kstatefun.partitions", 4);
    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KStatefunRuntime runtime =
            KStatefunRuntime.start(
                ModuleParser.parse(module(dir, echo.urlTemplate(), main, skip, own, ownDlq, null)),
                props,
                listener);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egressReader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Random random = new Random(42);
      List<Expectation> deadLetters = new ArrayList<>();
      int in = 0;
      int valid = 0;

      // --- main ingress: unroutable records of every kind, between valid ones
      RecordHeaders traced = new RecordHeaders();
      traced.add("trace-id", utf8("t-1"));
      Object[][] corpus = {
        {null, utf8("no key"), "NULL_KEY"},
        {new byte[0], utf8("empty key"), "EMPTY_KEY"},
        {new byte[] {(byte) 0xC3, 0x28}, utf8("invalid UTF-8 key"), "INVALID_KEY"},
        {utf8("tomb"), null, "NULL_VALUE"},
        {utf8("big"), new byte[MAX_RECORD_BYTES + 1], "RECORD_TOO_LARGE"},
      };
      for (int round = 0; round < 3; round++) {
        for (Object[] c : corpus) {
          RecordMetadata m =
              send(
                  producer, new ProducerRecord<>(main, null, (byte[]) c[0], (byte[]) c[1], traced));
          deadLetters.add(new Expectation(main, m.partition(), m.offset(), (String) c[2]));
          in++;
        }
        for (int i = 0; i < 10; i++) {
          byte[] garbage = new byte[1 + random.nextInt(MAX_RECORD_BYTES)];
          random.nextBytes(garbage); // garbage values are fine: the function gets raw bytes
          send(
              producer,
              new ProducerRecord<>(
                  main, utf8("user-" + i), i % 2 == 0 ? garbage : utf8("hello " + i)));
          in++;
          valid++;
        }
      }
      // a value of exactly the limit is routed
      send(producer, new ProducerRecord<>(main, utf8("edge"), new byte[MAX_RECORD_BYTES]));
      in++;
      valid++;

      // --- ingress with its own dead-letter topic
      RecordMetadata ownTomb = send(producer, new ProducerRecord<>(own, utf8("x"), null));
      in++;
      send(producer, new ProducerRecord<>(own, utf8("x"), utf8("fine")));
      in++;
      valid++;

      // --- ingress with onError: skip
      for (int i = 0; i < 4; i++) {
        send(producer, new ProducerRecord<>(skip, null, utf8("skipped " + i)));
        in++;
      }
      send(producer, new ProducerRecord<>(skip, utf8("s"), utf8("kept")));
      in++;
      valid++;

      // --- garbage in the loopback topic
      List<byte[]> loopbackGarbage = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        byte[] g = new byte[8 + random.nextInt(64)];
        random.nextBytes(g);
        loopbackGarbage.add(g);
      }
      loopbackGarbage.add(new byte[0]);
      loopbackGarbage.add(null);
      loopbackGarbage.add(utf8("{\"json\": true}"));
      // an envelope without a target, and one whose target namespace contains a '/'
      loopbackGarbage.add(
          Envelope.newBuilder()
              .setArgument(TypedValue.newBuilder().setTypename("bad/raw"))
              .build()
              .toByteArray());
      loopbackGarbage.add(envelope("bad/x", "echo", "id").toByteArray());
      for (byte[] g : loopbackGarbage) {
        RecordMetadata m =
            send(producer, new ProducerRecord<>(loopback, random.nextInt(4), utf8("k"), g));
        deadLetters.add(
            new Expectation(loopback, m.partition(), m.offset(), "MALFORMED_LOOPBACK_RECORD"));
        in++;
      }
      // a well-formed envelope for an unknown function type: dead-lettered as a message
      send(
          producer,
          new ProducerRecord<>(
              loopback,
              AddressPartitioner.partition("g", 4),
              utf8("g"),
              envelope("nowhere", "ghost", "g").toByteArray()));
      in++;
      // and a well-formed one for the echo function: processed like any message
      send(
          producer,
          new ProducerRecord<>(
              loopback,
              AddressPartitioner.partition("lb", 4),
              utf8("lb"),
              envelope("bad", "echo", "lb").toByteArray()));
      in++;
      valid++;
      producer.flush();

      // --- every record accounted for
      List<ConsumerRecord<byte[], byte[]>> processed = new ArrayList<>();
      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      List<ConsumerRecord<byte[], byte[]>> ownDead = new ArrayList<>();
      int expectedIn = in;
      try (KafkaConsumer<byte[], byte[]> dlqReader =
              KafkaIO.committedReader(kafka.bootstrapServers(), dlq);
          KafkaConsumer<byte[], byte[]> ownReader =
              KafkaIO.committedReader(kafka.bootstrapServers(), ownDlq)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (processed.size() + dead.size() + ownDead.size() + skipped.get() < expectedIn
            && System.nanoTime() < deadline) {
          KafkaIO.drain(egressReader, processed, Duration.ofMillis(200));
          KafkaIO.drain(dlqReader, dead, Duration.ofMillis(200));
          KafkaIO.drain(ownReader, ownDead, Duration.ofMillis(200));
        }
        KafkaIO.drain(egressReader, processed, Duration.ofSeconds(2));
        KafkaIO.drain(dlqReader, dead, Duration.ofSeconds(1));
        KafkaIO.drain(ownReader, ownDead, Duration.ofSeconds(1));
      }
      System.out.println(
          "BadInputIT: in="
              + in
              + " processed="
              + processed.size()
              + " dead-lettered="
              + (dead.size() + ownDead.size())
              + " skipped="
              + skipped.get());
      assertThat(runtime.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
      assertThat(processed).hasSize(valid);
      assertThat(skipped.get()).isEqualTo(4);
      assertThat(processed.size() + dead.size() + ownDead.size() + skipped.get()).isEqualTo(in);

      // --- each raw dead letter: right reason, provenance, original key/value/headers
      Map<String, ConsumerRecord<byte[], byte[]>> bySource = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : dead) {
        if (DeadLetters.FORMAT_INGRESS.equals(header(r, DeadLetters.FORMAT))) {
          bySource.put(
              header(r, DeadLetters.SOURCE_TOPIC)
                  + "-"
                  + header(r, DeadLetters.SOURCE_PARTITION)
                  + "@"
                  + header(r, DeadLetters.SOURCE_OFFSET),
              r);
        }
      }
      assertThat(bySource).hasSize(deadLetters.size());
      for (Expectation e : deadLetters) {
        ConsumerRecord<byte[], byte[]> r =
            bySource.get(e.topic() + "-" + e.partition() + "@" + e.offset());
        assertThat(r).as("dead letter of " + e).isNotNull();
        assertThat(header(r, DeadLetters.REASON)).as("reason of " + e).isEqualTo(e.reason());
        assertThat(header(r, DeadLetters.ERROR_CLASS)).as("error class of " + e).isNotBlank();
        assertThat(Long.parseLong(header(r, DeadLetters.SOURCE_TIMESTAMP))).isPositive();
        assertThat(Long.parseLong(header(r, DeadLetters.TIMESTAMP))).isPositive();
        assertThat(header(r, DeadLetters.DETAIL)).isNotBlank();
        if (e.topic().equals(main)) {
          assertThat(header(r, "trace-id")).as("original headers kept").isEqualTo("t-1");
          assertThat(header(r, DeadLetters.ERROR_CLASS)).endsWith("RoutingException");
        }
      }
      // the envelope for an unknown function type
      assertThat(dead)
          .filteredOn(r -> DeadLetters.FORMAT_ENVELOPE.equals(header(r, DeadLetters.FORMAT)))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("UNKNOWN_FUNCTION_TYPE");
                assertThat(header(r, DeadLetters.ADDRESS)).isEqualTo("nowhere/ghost/g");
              });
      assertThat(ownDead)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("NULL_VALUE");
                assertThat(header(r, DeadLetters.SOURCE_OFFSET))
                    .isEqualTo(Long.toString(ownTomb.offset()));
              });

      // --- the dlq tool lists them, one line each
      ByteArrayOutputStream listing = new ByteArrayOutputStream();
      int code =
          KStatefunCli.run(
              new String[] {"dlq", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", dlq},
              new PrintStream(listing, true, StandardCharsets.UTF_8),
              System.err);
      assertThat(code).isZero();
      List<String> lines = listing.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(lines)
          .hasSize(dead.size() + 1)
          .last()
          .asString()
          .startsWith(dead.size() + " record(s)");
      assertThat(lines)
          .filteredOn(l -> l.contains("reason=RECORD_TOO_LARGE"))
          .hasSize(3)
          .allSatisfy(
              l ->
                  assertThat(l)
                      .contains(
                          "format=ingress", "source=" + main + "-", "error=RoutingException"));
    }
  }

  @Test
  @Timeout(120)
  void shouldStopTheApplicationOnABadRecordWhenTheIngressSaysFail(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String main = "main-" + suffix;
    String failing = "strict-" + suffix;
    String out = "out-" + suffix;
    String app = "strict-" + suffix;
    kafka.createTopics(Map.of(main, 1, failing, 1, out, 1));
    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KStatefunRuntime runtime =
            KStatefunRuntime.start(
                ModuleParser.parse(
                    module(dir, echo.urlTemplate(), main, null, null, null, failing)),
                KafkaIO.runtimeProps(
                    app, kafka.bootstrapServers(), dir.resolve("state").toString()));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> dlqReader =
            KafkaIO.committedReader(kafka.bootstrapServers(), app + "-dead-letters")) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      send(producer, new ProducerRecord<>(failing, null, utf8("no key")));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      // SHUTDOWN_APPLICATION: the client goes to PENDING_ERROR at once, to ERROR after the group
      // shut down.
      java.util.Set<KafkaStreams.State> stopping =
          java.util.Set.of(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR);
      while (!stopping.contains(runtime.streams().state()) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(runtime.streams().state()).isIn(stopping);
      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      KafkaIO.drain(dlqReader, dead, Duration.ofSeconds(2));
      assertThat(dead).as("nothing dead-lettered under onError: fail").isEmpty();
    }
  }

  private static Envelope envelope(String namespace, String type, String id) {
    return Envelope.newBuilder()
        .setTarget(
            io.kstatefun.protocol.Address.newBuilder()
                .setNamespace(namespace)
                .setType(type)
                .setId(id))
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("bad/raw")
                .setHasValue(true)
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("from loopback")))
        .build();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
