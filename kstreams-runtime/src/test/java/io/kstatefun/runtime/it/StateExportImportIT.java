package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.cli.KStatefunCli;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.state.ImportOptions;
import io.kstatefun.runtime.state.StateFileReader;
import io.kstatefun.runtime.state.StateFileWriter;
import io.kstatefun.runtime.state.StateImporter;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kstatefun state export} and {@code state import} on two real KRaft brokers: an application
 * runs on broker A with counters and pending delayed messages (some with cancellation tokens), is
 * stopped and exported; the file is imported into a fresh application id on broker B, with another
 * partition count; the runtime on B continues every counter where A stopped, fires each delayed
 * message once, not before its due time, and honours cancellations of imported tokens. Importing
 * the same file twice writes nothing; a running application and a non-empty target are refused; a
 * failed import leaves no trace for read_committed readers.
 */
class StateExportImportIT {

  private static final int USERS = 200;
  private static final int SENDERS = 10;
  private static final int CANCELLED = 5;
  private static final long DELAY_MS = 45_000;
  private static final int MAILBOX = 5;

  private static LocalKafkaBroker kafkaA;
  private static LocalKafkaBroker kafkaB;

  @BeforeAll
  static void startKafka() throws Exception {
    CompletableFuture<LocalKafkaBroker> a =
        CompletableFuture.supplyAsync(() -> LocalKafkaBroker.builder().start());
    CompletableFuture<LocalKafkaBroker> b =
        CompletableFuture.supplyAsync(() -> LocalKafkaBroker.builder().start());
    kafkaA = a.get();
    kafkaB = b.get();
  }

  @AfterAll
  static void stopKafka() {
    CompletableFuture<Void> a =
        CompletableFuture.runAsync(
            () -> {
              if (kafkaA != null) {
                kafkaA.close();
              }
            });
    if (kafkaB != null) {
      kafkaB.close();
    }
    a.join();
  }

  /**
   * {@code move/counter}: counts every message it gets in {@code count} and emits {@code
   * ID:COUNT:COMMAND} keyed by its id. {@code later TARGET DELAY_MS [TOKEN]} sends {@code fired
   * DUE_MS} to counter TARGET after the delay; {@code cancel TOKEN} cancels.
   */
  static final class Counters implements AutoCloseable {
    static final TypeName COUNTER = TypeName.of("move", "counter");
    static final TypeName EGRESS = TypeName.of("move", "out");
    private static final ValueSpec<Long> COUNT = ValueSpec.named("count").withLongType();
    private final FunctionServer server;

    /** While closed, calls to ids starting with "m-" hang (up to 30 s): their messages queue. */
    final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);

    final java.util.concurrent.atomic.AtomicInteger gated =
        new java.util.concurrent.atomic.AtomicInteger();

    Counters(String egressTopic) {
      server =
          new FunctionServer(
                  FunctionRegistry.of(
                      StatefulFunctionSpec.builder(COUNTER)
                          .withValueSpecs(COUNT)
                          .withSupplier(() -> (c, m) -> gateThenApply(c, m, egressTopic))
                          .build()),
                  FunctionServerOptions.defaults()
                      .withHost("127.0.0.1")
                      .withShutdownTimeout(Duration.ofSeconds(2)))
              .listen(0);
    }

    private CompletableFuture<Void> gateThenApply(Context context, Message message, String topic) {
      if (context.self().id().startsWith("m-") && gate.getCount() > 0) {
        gated.incrementAndGet();
        try {
          gate.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return apply(context, message, topic);
    }

    private static CompletableFuture<Void> apply(Context context, Message message, String topic) {
      String text =
          message.isUtf8String()
              ? message.asUtf8String()
              : new String(message.rawValue(), StandardCharsets.UTF_8);
      String[] cmd = text.split(" ");
      long count = context.storage().get(COUNT).orElse(0L) + 1;
      context.storage().set(COUNT, count);
      switch (cmd[0]) {
        case "later" -> {
          Message delayed =
              MessageBuilder.forAddress(COUNTER, cmd[1])
                  .withValue("fired " + (System.currentTimeMillis() + Long.parseLong(cmd[2])))
                  .build();
          if (cmd.length > 3) {
            context.sendAfter(Duration.ofMillis(Long.parseLong(cmd[2])), cmd[3], delayed);
          } else {
            context.sendAfter(Duration.ofMillis(Long.parseLong(cmd[2])), delayed);
          }
        }
        case "cancel" -> context.cancelDelayedMessage(cmd[1]);
        default -> {}
      }
      context.send(
          KafkaEgressMessage.forEgress(EGRESS)
              .withTopic(topic)
              .withUtf8Key(context.self().id())
              .withUtf8Value(
                  context.self().id() + ":" + count + ":" + text + ":" + System.currentTimeMillis())
              .build());
      return context.done();
    }

    String urlTemplate() {
      return "http://127.0.0.1:" + server.port() + "/{function.name}";
    }

    @Override
    public void close() {
      server.close();
    }
  }

  private static Path module(Path dir, String url, String bootstrap, String in) throws Exception {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: move/*",
            "  urlPathTemplate: " + url,
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: move/in",
            "  address: " + bootstrap,
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + in,
            "      valueType: move/command",
            "      targets:",
            "        - move/counter",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: move/out",
            "  address: " + bootstrap,
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            "");
    Files.createDirectories(dir);
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** Runs a kstatefun command line; returns exit code and output. */
  private record Cli(int code, String out, String err) {
    static Cli run(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          KStatefunCli.run(
              args,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      Cli cli =
          new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
      System.out.println("StateExportImportIT kstatefun " + String.join(" ", args) + " -> " + cli);
      return cli;
    }
  }

  /** Egress values by key, in order. */
  private static Map<String, List<String>> byKey(List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, List<String>> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      out.computeIfAbsent(KafkaIO.utf8(r.key()), k -> new ArrayList<>())
          .add(KafkaIO.utf8(r.value()));
    }
    return out;
  }

  @Test
  @Timeout(300)
  void shouldContinueCountersAndFireTimersOnceAfterMovingToAnotherCluster(@TempDir Path dir)
      throws Exception {
    String s = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + s;
    String out = "out-" + s;
    String appA = "move-a-" + s;
    String appB = "move-b-" + s;
    kafkaA.createTopics(Map.of(in, 4, out, 1));
    kafkaB.createTopics(Map.of(in, 3, out, 1));
    Path file = dir.resolve("state.kstate");
    long scheduledAt;
    try (Counters counters = new Counters(out)) {
      // Broker A: 3 increments per user, delayed messages from the senders.
      List<ConsumerRecord<byte[], byte[]>> egressA = new ArrayList<>();
      try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafkaA.bootstrapServers());
          KafkaConsumer<byte[], byte[]> reader =
              KafkaIO.committedReader(kafkaA.bootstrapServers(), out);
          KStatefunRuntime runtime =
              KStatefunRuntime.start(
                  ModuleParser.parse(
                      module(
                          dir.resolve("a"), counters.urlTemplate(), kafkaA.bootstrapServers(), in)),
                  KafkaIO.runtimeProps(
                      appA, kafkaA.bootstrapServers(), dir.resolve("state-a").toString()))) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (int round = 0; round < 3; round++) {
          for (int u = 0; u < USERS; u++) {
            KafkaIO.send(producer, in, "user-" + u, "inc");
          }
        }
        scheduledAt = System.currentTimeMillis();
        for (int i = 0; i < SENDERS; i++) {
          KafkaIO.send(producer, in, "s-" + i, "later d-" + i + " " + DELAY_MS);
          if (i < CANCELLED) {
            // due long after the test: only a working cancellation removes it
            KafkaIO.send(producer, in, "s-" + i, "later c-" + i + " 600000 tok-" + i);
          }
        }
        producer.flush();
        int expected = 3 * USERS + SENDERS + CANCELLED;
        KafkaIO.readUntil(reader, egressA, e -> e.size() >= expected, Duration.ofSeconds(90));
        assertThat(egressA).hasSize(expected);
        assertThat(runtime.tasks().pendingTimersTotal()).isEqualTo(SENDERS + CANCELLED);
        // Messages that wait in a mailbox when the application stops: the function hangs on the
        // first, the others queue behind it.
        for (int k = 1; k <= MAILBOX; k++) {
          KafkaIO.send(producer, in, "m-0", "inc " + k);
        }
        producer.flush();
        await("the first mailbox message is being called")
            .atMost(Duration.ofSeconds(30))
            .until(() -> counters.gated.get() > 0);
        Thread.sleep(2_000); // the rest reach the mailbox (the same task, the next commit)
      }
      counters.gate.countDown();

      // Export A (stopped) with the command line.
      Cli export =
          Cli.run(
              "state",
              "export",
              "--application-id",
              appA,
              "--file",
              file.toString(),
              "--bootstrap-servers",
              kafkaA.bootstrapServers());
      assertThat(export.code()).as(export.err()).isZero();
      assertThat(export.out())
          .contains(
              "state export: "
                  + (USERS + SENDERS)
                  + " addresses, "
                  + (USERS + SENDERS)
                  + " values, "
                  + (SENDERS + CANCELLED + MAILBOX)
                  + " timers ("
                  + MAILBOX
                  + " of them mailbox messages)");
      assertThat(StateFileReader.verify(file).getTimers()).isEqualTo(SENDERS + CANCELLED + MAILBOX);

      // Import into a fresh application on broker B, over 3 partitions instead of 8.
      String[] importArgs = {
        "state",
        "import",
        "--application-id",
        appB,
        "--file",
        file.toString(),
        "--bootstrap-servers",
        kafkaB.bootstrapServers(),
        "--set",
        "kstatefun.partitions=3"
      };
      Cli first = Cli.run(importArgs);
      assertThat(first.code()).as(first.err()).isZero();
      assertThat(first.out())
          .contains(
              "state import: "
                  + (USERS + SENDERS)
                  + " addresses, "
                  + (USERS + SENDERS)
                  + " values, "
                  + (SENDERS + CANCELLED + MAILBOX)
                  + " timers")
          .contains("over 3 partitions");
      // Every record of the import is committed (the commit markers follow the commit call).
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(\\d+) records in one transaction").matcher(first.out());
      assertThat(m.find()).isTrue();
      long imported = Long.parseLong(m.group(1));
      await("the import's records committed")
          .atMost(Duration.ofSeconds(30))
          .until(() -> committedRecords(appB) == imported);

      // The same file again: recognised, nothing written.
      Cli again = Cli.run(importArgs);
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(again.out()).contains("nothing written");
      assertThat(committedRecords(appB)).as("records after the second import").isEqualTo(imported);

      // Another file (a second export: another header) into the non-empty target: refused.
      Path second = dir.resolve("second.kstate");
      assertThat(
              Cli.run(
                      "state",
                      "export",
                      "--application-id",
                      appA,
                      "--file",
                      second.toString(),
                      "--bootstrap-servers",
                      kafkaA.bootstrapServers())
                  .code())
          .isZero();
      importArgs[5] = second.toString();
      Cli nonEmpty = Cli.run(importArgs);
      assertThat(nonEmpty.code()).isEqualTo(1);
      assertThat(nonEmpty.err()).contains("already has state").contains("--merge");

      // Broker B: the runtime continues.
      List<ConsumerRecord<byte[], byte[]>> egressB = new ArrayList<>();
      try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafkaB.bootstrapServers());
          KafkaConsumer<byte[], byte[]> reader =
              KafkaIO.committedReader(kafkaB.bootstrapServers(), out)) {
        try (KStatefunRuntime runtime =
            KStatefunRuntime.start(
                ModuleParser.parse(
                    module(
                        dir.resolve("b"), counters.urlTemplate(), kafkaB.bootstrapServers(), in)),
                Map.of(
                    "application.id",
                    appB,
                    "bootstrap.servers",
                    kafkaB.bootstrapServers(),
                    "state.dir",
                    dir.resolve("state-b").toString(),
                    "kstatefun.partitions",
                    "3"))) {
          assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
          assertThat(runtime.partitions()).isEqualTo(3);
          for (int i = 0; i < CANCELLED; i++) {
            KafkaIO.send(producer, in, "s-" + i, "cancel tok-" + i);
          }
          for (int u = 0; u < USERS; u++) {
            KafkaIO.send(producer, in, "user-" + u, "inc");
          }
          producer.flush();

          // A running application is refused.
          importArgs[5] = file.toString();
          Cli running = Cli.run(importArgs);
          assertThat(running.code()).isEqualTo(1);
          assertThat(running.err()).contains("is running");
          Cli runningExport =
              Cli.run(
                  "state",
                  "export",
                  "--application-id",
                  appB,
                  "--file",
                  dir.resolve("running.kstate").toString(),
                  "--bootstrap-servers",
                  kafkaB.bootstrapServers());
          assertThat(runningExport.code()).isEqualTo(1);
          assertThat(runningExport.err()).contains("is running").contains("--force");
          assertThat(dir.resolve("running.kstate")).doesNotExist();

          KafkaIO.readUntil(
              reader,
              egressB,
              e ->
                  byKey(e).keySet().stream().filter(k -> k.startsWith("d-")).count() == SENDERS
                      && e.size() >= USERS + CANCELLED + SENDERS + MAILBOX,
              Duration.ofSeconds(DELAY_MS / 1000 + 90));
          // Every imported timer fired or was cancelled by its imported token.
          await("no pending timers left")
              .atMost(Duration.ofSeconds(60))
              .until(() -> runtime.tasks().pendingTimersTotal() == 0);
        }
        KafkaIO.readToEnd(reader, egressB, Duration.ofSeconds(30));
      }
      Map<String, List<String>> b = byKey(egressB);
      for (int u = 0; u < USERS; u++) {
        String expected = "user-" + u + ":4:inc:";
        assertThat(b.get("user-" + u))
            .as("user-%d continues at 4, once", u)
            .hasSize(1)
            .allSatisfy(v -> assertThat(v).startsWith(expected));
      }
      for (int i = 0; i < SENDERS; i++) {
        List<String> fired = b.get("d-" + i);
        assertThat(fired).as("delayed message to d-%d, once", i).hasSize(1);
        String[] f = fired.get(0).split(":"); // d-i:1:fired DUE:receivedAt
        long due = Long.parseLong(f[2].substring("fired ".length()));
        assertThat(due).isGreaterThanOrEqualTo(scheduledAt + DELAY_MS);
        assertThat(Long.parseLong(f[3]))
            .as("d-%d not before its due time", i)
            .isGreaterThanOrEqualTo(due);
        assertThat(f[1]).isEqualTo("1");
      }
      for (int i = 0; i < CANCELLED; i++) {
        assertThat(b).as("cancelled message to c-%d", i).doesNotContainKey("c-" + i);
        String expected = "s-" + i + ":3:cancel";
        assertThat(b.get("s-" + i)).hasSize(1).allSatisfy(v -> assertThat(v).startsWith(expected));
      }
      List<String> mailbox = b.get("m-0");
      assertThat(mailbox).as("mailbox messages, once each, in order").hasSize(MAILBOX);
      for (int k = 1; k <= MAILBOX; k++) {
        assertThat(mailbox.get(k - 1)).startsWith("m-0:" + k + ":inc " + k + ":");
      }
      assertThat(egressB).hasSize(USERS + CANCELLED + SENDERS + MAILBOX);
    }
  }

  /** Records (not distinct keys) in the state and timer changelogs of {@code app} on broker B. */
  private static long committedRecords(String app) {
    return liveRecords(kafkaB, app + "-kstatefun-state-changelog", 3, "read_committed")
        + liveRecords(kafkaB, app + "-kstatefun-timers-changelog", 3, "read_committed");
  }

  /** The records of a store's changelog a reader with {@code isolation} reads. */
  private static long liveRecords(
      LocalKafkaBroker kafka, String topic, int partitions, String isolation) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      long n = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        assertThat(System.nanoTime()).as("reading " + topic).isLessThan(deadline);
        n += c.poll(Duration.ofMillis(200)).count();
      }
      return n;
    }
  }

  @Test
  @Timeout(120)
  void shouldLeaveNoTraceForReadCommittedReadersWhenAnImportFailsPartWay(@TempDir Path dir)
      throws Exception {
    String app = "move-fail-" + UUID.randomUUID().toString().substring(0, 8);
    Path file = dir.resolve("big.kstate");
    try (StateFileWriter w = StateFileWriter.create(file, "test", "t")) {
      // About 4 MiB before the failing record: full batches (512 KiB) leave for the broker while
      // the import is still writing, so the aborted transaction usually holds records.
      for (int i = 0; i < 4_000; i++) {
        w.address(value("user-" + i, new byte[1024]));
      }
      // Larger than the producer's max.request.size (1 MiB): this record fails the transaction.
      w.address(value("huge", new byte[2 * 1024 * 1024]));
      for (int i = 0; i < 100; i++) {
        w.address(value("after-" + i, new byte[16]));
      }
    }
    KStatefunConfig config =
        new KStatefunConfig(
            Map.of(
                "application.id",
                app,
                "bootstrap.servers",
                kafkaB.bootstrapServers(),
                "kstatefun.partitions",
                "2"));
    Throwable failure = null;
    try {
      StateImporter.importFile(file, config, ImportOptions.defaults());
    } catch (IllegalStateException e) {
      failure = e;
    }
    assertThat(failure).as("the import fails").isNotNull();
    assertThat(failure.getMessage()).contains("aborted");
    String changelog = app + "-kstatefun-state-changelog";
    // How many records reached the broker before the abort depends on the producer's timing (the
    // failing record may come before a batch left): printed, not asserted.
    System.out.println(
        "StateExportImportIT: records written before the failed import was aborted: "
            + liveRecords(kafkaB, changelog, 2, "read_uncommitted"));
    assertThat(liveRecords(kafkaB, changelog, 2, "read_committed"))
        .as("what the runtime restores")
        .isZero();

    // Without the huge value, the same target accepts the import: the failed one left nothing.
    Path ok = dir.resolve("ok.kstate");
    try (StateFileWriter w = StateFileWriter.create(ok, "test", "t")) {
      w.address(value("user-1", new byte[16]));
    }
    assertThat(StateImporter.importFile(ok, config, ImportOptions.defaults()).addresses())
        .isEqualTo(1);
    assertThat(liveRecords(kafkaB, changelog, 2, "read_committed")).isEqualTo(1);
  }

  /** The live records of a store's changelog (read_committed, last value per key) by key. */
  private static Map<String, byte[]> live(LocalKafkaBroker kafka, String topic, int partitions) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, byte[]> out = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        assertThat(System.nanoTime()).as("reading " + topic).isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          String key = r.partition() + ":" + java.util.HexFormat.of().formatHex(r.key());
          if (r.value() == null) {
            out.remove(key);
          } else {
            out.put(key, r.value());
          }
        }
      }
    }
    return out;
  }

  /** Live timer store keys of one kind: 0x00 meta, 0x01 timers, 0x02 token index. */
  private static long timerKeys(Map<String, byte[]> timers, String kindHex) {
    return timers.keySet().stream()
        .filter(k -> k.substring(k.indexOf(':') + 1).startsWith(kindHex))
        .count();
  }

  private static TimerEntry delayedTo(String from, String to, long due, String token) {
    return TimerEntry.newBuilder()
        .setEnvelope(
            io.kstatefun.runtime.internals.proto.Envelope.newBuilder()
                .setTarget(
                    io.kstatefun.protocol.Address.newBuilder()
                        .setNamespace("move")
                        .setType("counter")
                        .setId(to))
                .setCaller(
                    io.kstatefun.protocol.Address.newBuilder()
                        .setNamespace("move")
                        .setType("counter")
                        .setId(from)))
        .setDueMs(due)
        .setCancellationToken(token)
        .build();
  }

  @Test
  @Timeout(120)
  void shouldMergeWithoutDoublingAndReplaceWithExactlyTheFile(@TempDir Path dir) throws Exception {
    String app = "move-modes-" + UUID.randomUUID().toString().substring(0, 8);
    KStatefunConfig config =
        new KStatefunConfig(
            Map.of(
                "application.id",
                app,
                "bootstrap.servers",
                kafkaB.bootstrapServers(),
                "kstatefun.partitions",
                "2"));
    long due = System.currentTimeMillis() + 3_600_000;
    Path first = dir.resolve("first.kstate");
    Path copy = dir.resolve("copy.kstate"); // the same content, another file (another header)
    for (Path f : List.of(first, copy)) {
      try (StateFileWriter w = StateFileWriter.create(f, "test", f.toString())) {
        w.address(value("a", new byte[] {1}));
        w.address(value("b", new byte[] {2}));
        w.timer(delayedTo("a", "x", due, ""));
        w.timer(delayedTo("b", "y", due, "tk"));
      }
    }
    String stateTopic = app + "-kstatefun-state-changelog";
    String timerTopic = app + "-kstatefun-timers-changelog";
    assertThat(StateImporter.importFile(first, config, ImportOptions.defaults()).timers())
        .isEqualTo(2);

    Throwable refused = null;
    try {
      StateImporter.importFile(copy, config, ImportOptions.defaults());
    } catch (IllegalStateException e) {
      refused = e;
    }
    assertThat(refused).as("a non-empty target").isNotNull();
    assertThat(refused.getMessage()).contains("already has state");

    var merged =
        StateImporter.importFile(
            copy, config, ImportOptions.defaults().withMode(ImportOptions.Mode.MERGE));
    assertThat(merged.addresses()).isEqualTo(2);
    assertThat(merged.timers()).as("timers added by the merge").isZero();
    assertThat(merged.skippedTimers()).isEqualTo(2);
    Map<String, byte[]> timers = live(kafkaB, timerTopic, 2);
    assertThat(timerKeys(timers, "01")).as("pending timers").isEqualTo(2);
    assertThat(timerKeys(timers, "02")).as("token index").isEqualTo(1);
    assertThat(live(kafkaB, stateTopic, 2)).hasSize(2);

    Path other = dir.resolve("other.kstate");
    try (StateFileWriter w = StateFileWriter.create(other, "test", "other")) {
      w.address(value("c", new byte[] {3}));
      w.timer(delayedTo("c", "z", due, ""));
    }
    var replaced =
        StateImporter.importFile(
            other, config, ImportOptions.defaults().withMode(ImportOptions.Mode.REPLACE));
    assertThat(replaced.deletedRecords()).isPositive();
    Map<String, byte[]> state = live(kafkaB, stateTopic, 2);
    assertThat(state).hasSize(1);
    timers = live(kafkaB, timerTopic, 2);
    assertThat(timerKeys(timers, "01")).isEqualTo(1);
    assertThat(timerKeys(timers, "02")).isZero();
    long count = 0;
    for (Map.Entry<String, byte[]> e : timers.entrySet()) {
      if (e.getKey().endsWith(":0063")) { // 0x00 'c': a partition's pending timer count
        count += java.nio.ByteBuffer.wrap(e.getValue()).getLong();
      }
    }
    assertThat(count).as("pending timer counts").isEqualTo(1);
    // The first file is no longer what the target holds: importing it is not a no-op any more.
    assertThat(
            StateImporter.importFile(
                    first, config, ImportOptions.defaults().withMode(ImportOptions.Mode.MERGE))
                .alreadyImported())
        .isFalse();
  }

  private static AddressState value(String id, byte[] bytes) {
    return AddressState.newBuilder()
        .setAddress(
            io.kstatefun.protocol.Address.newBuilder()
                .setNamespace("move")
                .setType("counter")
                .setId(id))
        .addValues(
            StoredValue.newBuilder()
                .setName("blob")
                .setTypename("io.statefun.types/bytes")
                .setValue(ByteString.copyFrom(bytes)))
        .build();
  }
}
