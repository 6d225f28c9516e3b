package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.topology.CrashLoopGuard;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import io.kstatefun.runtime.internals.topology.StoreRecords;
import io.kstatefun.runtime.testing.EchoFunction;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.sdk.TypeName;
import io.micrometer.core.instrument.FunctionCounter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged records in the changelogs, on a real broker: a task restores them into its stores the way
 * it would restore records damaged in production. Before, the first read of such a record threw,
 * the stream thread died, its replacement restored the same record and died again, for ever, while
 * {@code /health/live} kept answering 200.
 *
 * <ul>
 *   <li>A mailbox entry of one address that cannot be read: it is dead-lettered as raw bytes with
 *       the rest of its batch, and every address, that one included, keeps being served; no stream
 *       thread fails.
 *   <li>A record that belongs to no address (the task's pending timer count): the task fails on
 *       every restart; after {@code kstatefun.crash.loop.max.failures} failures one ERROR names the
 *       task and the cause, {@code /health/live} answers 503 and the metrics count it.
 * </ul>
 */
class CorruptStoreRecordIT {

  private static final TypeName ECHO = TypeName.of("corrupt", "echo");
  private static final TypeName EGRESS = TypeName.of("corrupt", "out");
  private static final FunctionType TYPE = new FunctionType("corrupt", "echo");
  private static final int PARTITIONS = 2;

  /** Field 13 with wire type 6, which does not exist: no protobuf message parses it. */
  private static final byte[] GARBAGE = "not a protobuf".getBytes(StandardCharsets.UTF_8);

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

  @Test
  @Timeout(240)
  void shouldDeadLetterAnUnreadableMailboxEntryRestoredFromTheChangelogAndKeepServingEveryAddress(
      @TempDir Path dir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    String app = "corrupt-" + suffix;
    kafka.createTopics(Map.of(in, PARTITIONS, out, 1));
    Address victim = new Address(TYPE, "victim");
    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> outReader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out);
        KafkaConsumer<byte[], byte[]> dlqReader =
            KafkaIO.committedReader(kafka.bootstrapServers(), app + "-dead-letters")) {
      ModuleSpec module = module(dir, echo.urlTemplate(), in, out);
      List<ConsumerRecord<byte[], byte[]>> echoed = new ArrayList<>();
      firstRun(module, props(app, dir.resolve("state-1")), producer, outReader, echoed, in);

      // The victim's mailbox in the changelog: three queued messages, the middle one damaged.
      String changelog = StoreRecords.mailboxChangelog(app);
      int partition = AddressPartitioner.partition(victim.id(), PARTITIONS);
      MailboxHeader header = MailboxHeader.newBuilder().setHeadSeq(0).setNextSeq(3).build();
      producer
          .send(
              new ProducerRecord<>(
                  changelog,
                  partition,
                  StoreRecords.mailboxHeaderKey(victim),
                  header.toByteArray()))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  changelog,
                  partition,
                  StoreRecords.mailboxEntryKey(victim, 0),
                  envelope(victim, "v0")))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  changelog, partition, StoreRecords.mailboxEntryKey(victim, 1), GARBAGE))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  changelog,
                  partition,
                  StoreRecords.mailboxEntryKey(victim, 2),
                  envelope(victim, "v2")))
          .get();

      // A new instance with an empty state directory restores the task from the changelog.
      Map<String, Object> props = props(app, dir.resolve("state-2"));
      try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();

        List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
        KafkaIO.readUntil(dlqReader, dead, d -> d.size() >= 3, Duration.ofSeconds(60));
        assertThat(dead)
            .hasSize(3)
            .allSatisfy(
                r ->
                    assertThat(header(r, DeadLetters.REASON))
                        .isEqualTo(DeadLetterReason.CORRUPT_STORE_RECORD.name()));
        List<ConsumerRecord<byte[], byte[]>> raw =
            dead.stream()
                .filter(r -> DeadLetters.FORMAT_STORE.equals(header(r, DeadLetters.FORMAT)))
                .toList();
        assertThat(raw).hasSize(1);
        assertThat(raw.get(0).value()).isEqualTo(GARBAGE);
        assertThat(header(raw.get(0), DeadLetters.ADDRESS)).isEqualTo(victim.toString());
        assertThat(header(raw.get(0), DeadLetters.STORE))
            .isEqualTo(StoreRecords.mailboxStore() + " 0_" + partition);
        List<String> deadPayloads = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
          if (DeadLetters.FORMAT_ENVELOPE.equals(header(r, DeadLetters.FORMAT))) {
            deadPayloads.add(Envelope.parseFrom(r.value()).getArgument().getValue().toStringUtf8());
          }
        }
        assertThat(deadPayloads).containsExactly("v0", "v2");

        // Every address keeps being served exactly once, the victim included.
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          KafkaIO.send(producer, in, "k" + i, "after-" + i);
          expected.add(echoOf("k" + i, "after-" + i));
        }
        KafkaIO.send(producer, in, victim.id(), "after");
        expected.add(echoOf(victim.id(), "after"));
        producer.flush();
        KafkaIO.readUntil(
            outReader, echoed, e -> values(e).containsAll(expected), Duration.ofSeconds(60));
        KafkaIO.drain(outReader, echoed, Duration.ofSeconds(1));
        List<String> after =
            values(echoed).stream().filter(v -> v.contains("|" + hex("after"))).toList();
        assertThat(after).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(values(echoed))
            .as("the dead-lettered messages never reach the function")
            .noneMatch(
                v -> v.equals(echoOf(victim.id(), "v0")) || v.equals(echoOf(victim.id(), "v2")));

        FunctionCounter failures =
            runtime.meterRegistry().find("kstatefun.stream.thread.failures").functionCounter();
        assertThat(failures.count()).as("stream thread failures").isZero();
        assertThat(liveness(runtime).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  @Timeout(300)
  void shouldReportACrashLoopWhenATaskFailsTheSameWayOnEveryRestart(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    String app = "crashloop-" + suffix;
    kafka.createTopics(Map.of(in, PARTITIONS, out, 1));
    Capture capture = new Capture();
    LoggerContext logging = (LoggerContext) LogManager.getContext(false);
    capture.start();
    logging.getConfiguration().getRootLogger().addAppender(capture, Level.ALL, null);
    logging.updateLoggers();
    try (EchoFunction echo = new EchoFunction(ECHO, EGRESS, out);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> outReader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      ModuleSpec module = module(dir, echo.urlTemplate(), in, out);
      firstRun(
          module, props(app, dir.resolve("state-1")), producer, outReader, new ArrayList<>(), in);

      // Task 0_0's pending timer count, damaged: it belongs to no address, so the task cannot go
      // on.
      producer
          .send(
              new ProducerRecord<>(
                  StoreRecords.timerChangelog(app),
                  0,
                  StoreRecords.pendingTimerCountKey(),
                  new byte[] {1, 2, 3}))
          .get();

      Map<String, Object> props = props(app, dir.resolve("state-2"));
      props.put("kstatefun.crash.loop.max.failures", 3);
      props.put("kstatefun.crash.loop.window.ms", 600_000L);
      try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props)) {
        HttpResponse<String> live = liveness(runtime);
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (live.statusCode() == 200 && System.nanoTime() < deadline) {
          Thread.sleep(200);
          live = liveness(runtime);
        }
        assertThat(live.statusCode()).as("/health/live: " + live.body()).isEqualTo(503);
        assertThat(live.body())
            .contains("\"0_0\"")
            .contains("failed 3 times")
            .contains("pending timer count");

        String metrics = get(runtime, "/metrics").body();
        assertThat(metrics)
            .contains("kstatefun_tasks_crash_looping 1.0")
            .contains("kstatefun_crash_loops_total 1.0");
        FunctionCounter failures =
            runtime.meterRegistry().find("kstatefun.stream.thread.failures").functionCounter();
        assertThat(failures.count()).isGreaterThanOrEqualTo(3);
        assertThat(capture.errors.stream().filter(l -> l.contains("is in a crash loop")))
            .as("one ERROR for the crash loop")
            .hasSize(1)
            .allSatisfy(l -> assertThat(l).contains("Task 0_0").contains("pending timer count"));
      }
    } finally {
      logging.getConfiguration().getRootLogger().removeAppender(capture.getName());
      logging.updateLoggers();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** Starts the application once so that it creates its topics and changelogs, and stops it. */
  private static void firstRun(
      ModuleSpec module,
      Map<String, Object> props,
      KafkaProducer<byte[], byte[]> producer,
      KafkaConsumer<byte[], byte[]> outReader,
      List<ConsumerRecord<byte[], byte[]>> echoed,
      String in)
      throws Exception {
    try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props)) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      KafkaIO.send(producer, in, "warm-up", "warm");
      producer.flush();
      KafkaIO.readUntil(
          outReader,
          echoed,
          e -> values(e).contains(echoOf("warm-up", "warm")),
          Duration.ofSeconds(60));
      assertThat(values(echoed)).contains(echoOf("warm-up", "warm"));
    }
  }

  private static Map<String, Object> props(String app, Path stateDir) {
    Map<String, Object> props =
        new HashMap<>(KafkaIO.runtimeProps(app, kafka.bootstrapServers(), stateDir.toString()));
    props.put("kstatefun.partitions", PARTITIONS);
    props.put("kstatefun.admin.port", 0);
    return props;
  }

  private static ModuleSpec module(Path dir, String url, String in, String out) throws Exception {
    Path file = dir.resolve("module.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: corrupt/*",
            "  urlPathTemplate: " + url,
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: corrupt/in",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + in,
            "      valueType: corrupt/raw",
            "      targets:",
            "        - corrupt/echo",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: corrupt/out",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""));
    return ModuleParser.parse(file);
  }

  /** A queued message as the runtime stores it for an ingress record with value {@code payload}. */
  private static byte[] envelope(Address target, String payload) {
    return Envelope.newBuilder()
        .setTarget(target.toProto())
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("corrupt/raw")
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8(payload)))
        .build()
        .toByteArray();
  }

  private static String echoOf(String id, String payload) {
    return id + "|" + hex(payload);
  }

  private static String hex(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> KafkaIO.utf8(r.value())).toList();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> liveness(KStatefunRuntime runtime) throws Exception {
    return get(runtime, "/health/live");
  }

  private static HttpResponse<String> get(KStatefunRuntime runtime, String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The ERROR lines of the crash-loop guard. */
  private static final class Capture extends AbstractAppender {
    final List<String> errors = new CopyOnWriteArrayList<>();

    Capture() {
      super("crash-loop-it-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      if (event.getLevel() == Level.ERROR
          && event.getLoggerName().equals(CrashLoopGuard.class.getName())) {
        errors.add(event.getMessage().getFormattedMessage());
      }
    }
  }
}
