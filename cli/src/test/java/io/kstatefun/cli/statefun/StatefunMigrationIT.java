package io.kstatefun.cli.statefun;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.cli.Launcher;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration off StateFun, end to end, with a real Apache Flink StateFun 3.3.0 job: the StateFun
 * runtime on a Flink 1.16 MiniCluster (RocksDB state backend; {@code -Dstatefun.it.backend=hashmap}
 * for the heap backend) in its own JVM (statefun-import's test class path: Flink, StateFun, Kafka
 * clients 3.2), remote functions written on {@code statefun-sdk-java:3.3.0} ({@link
 * MigrationFunctions}), a Kafka ingress and egress on a local broker. After N messages per counter
 * and pending {@code sendAfter} messages, StateFun takes a savepoint and stops; {@code kstatefun
 * import-statefun} reads it (in its own JVM, as the release runs it) and imports it; kstatefun then
 * runs the same module.yaml and functions: every counter continues at N+1, delayed messages fire
 * once and not before they are due, cancelled ones never, and no ingress message is read twice.
 */
class StatefunMigrationIT {

  private static final int KEYS = 1000;
  private static final int N = 3;
  private static final int REMINDERS = 100;
  private static final long DELAY_MS = 120_000;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void shouldContinueStatefunCountersAndDelayedMessagesAfterImportingItsSavepoint(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String counterTopic = "mig-counter-" + suffix;
    String reminderTopic = "mig-reminder-" + suffix;
    String outTopic = "mig-out-" + suffix;
    String app = "mig-app-" + suffix;
    try (LocalKafkaBroker kafka =
            LocalKafkaBroker.builder().logDir(dir.resolve("kafka")).build().start();
        MigrationFunctions.Server functions = new MigrationFunctions.Server(outTopic);
        KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
      kafka.createTopics(Map.of(counterTopic, 2, reminderTopic, 2, outTopic, 1));
      Path module =
          writeModule(
              dir, functions.urlTemplate(), kafka.bootstrapServers(), counterTopic, reminderTopic);

      // 1. StateFun 3.3.0: N messages per counter, REMINDERS pending delayed messages.
      List<ConsumerRecord<String, String>> statefunOut = new ArrayList<>();
      long dueNotBefore;
      Path savepoint;
      // The StateFun job's log stays in target/ for a failed run.
      Path log = Path.of("target", "statefun-job-" + suffix + ".log").toAbsolutePath();
      try (StatefunJob job = StatefunJob.start(module, log)) {
        for (int round = 0; round < N; round++) {
          for (int k = 0; k < KEYS; k++) {
            producer.send(new ProducerRecord<>(counterTopic, "c" + k, "m" + round));
          }
        }
        dueNotBefore = System.currentTimeMillis() + DELAY_MS;
        for (int r = 0; r < REMINDERS; r++) {
          producer.send(new ProducerRecord<>(reminderTopic, "r" + r, "schedule:" + DELAY_MS));
        }
        producer.flush();
        try (KafkaConsumer<String, String> reader = reader(kafka.bootstrapServers(), outTopic)) {
          readUntil(
              reader,
              statefunOut,
              out -> out.stream().filter(r -> r.value().endsWith(":" + N)).count() >= KEYS,
              Duration.ofMinutes(3));
        }
        assertThat(statefunOut.stream().filter(r -> r.value().endsWith(":" + N)).count())
            .as(
                "every counter reached %d in StateFun (%d output records; see %s)",
                N, statefunOut.size(), log)
            .isEqualTo(KEYS);
        awaitTrue(
            () -> functions.reminderSchedules() >= REMINDERS,
            Duration.ofMinutes(1),
            "StateFun delivered every schedule message");
        savepoint = job.savepoint(dir.resolve("savepoints"));
      }
      assertThat(statefunOut)
          .as("StateFun fired nothing before the savepoint")
          .allMatch(r -> r.value().startsWith("counter:"));

      // 2. kstatefun import-statefun: the savepoint into the application's state and timers.
      ByteArrayOutputStream importOut = new ByteArrayOutputStream();
      int code =
          Launcher.commandLine(new PrintStream(importOut, true, StandardCharsets.UTF_8), System.err)
              .execute(
                  "import-statefun",
                  "--savepoint",
                  savepoint.toString(),
                  "--module",
                  module.toString(),
                  "--application-id",
                  app,
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--output",
                  dir.resolve(app + ".statefun-state").toString());
      String report = importOut.toString(StandardCharsets.UTF_8);
      System.out.println(report);
      assertThat(code).as(report).isZero();
      assertThat(report)
          .contains("function migration/counter: " + KEYS + " addresses")
          .contains("function migration/reminder: " + REMINDERS + " addresses")
          .contains("delayed messages to migration/reminder: " + REMINDERS + " pending")
          .contains(REMINDERS + " with a cancellation token")
          .contains("not carried over: nothing")
          .contains(
              "state import: "
                  + (KEYS + REMINDERS)
                  + " addresses, "
                  + (2 * KEYS + REMINDERS)
                  + " values, "
                  + REMINDERS
                  + " timers")
          .contains("consumer group " + app + " starts where StateFun stopped on 4 partitions");

      // 3. kstatefun on the same module.yaml and functions.
      long outEnd = endOffset(kafka.bootstrapServers(), outTopic);
      List<ConsumerRecord<String, String>> kstatefunOut = new ArrayList<>();
      try (KStatefunRuntime runtime =
              KStatefunRuntime.start(
                  ModuleParser.parse(module),
                  Map.of(
                      "application.id", app,
                      "bootstrap.servers", kafka.bootstrapServers(),
                      "state.dir", dir.resolve("kstatefun").toString()));
          KafkaConsumer<String, String> reader = reader(kafka.bootstrapServers(), outTopic)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(90))).isTrue();
        // Half of the reminders are cancelled through kstatefun: their tokens came with the import.
        for (int r = 0; r < REMINDERS / 2; r++) {
          producer.send(new ProducerRecord<>(reminderTopic, "r" + r, "cancel"));
        }
        for (int k = 0; k < KEYS; k++) {
          producer.send(new ProducerRecord<>(counterTopic, "c" + k, "m" + N));
        }
        producer.flush();
        long cancelsSent = System.currentTimeMillis();
        assertThat(cancelsSent)
            .as("the cancellations went out before the delayed messages were due (slow machine?)")
            .isLessThan(dueNotBefore);
        reader.seek(new TopicPartition(outTopic, 0), outEnd);
        readUntil(
            reader,
            kstatefunOut,
            out ->
                out.stream().filter(r -> r.value().startsWith("counter:")).count() >= KEYS
                    && out.stream().filter(r -> r.value().startsWith("reminder:")).count()
                        >= REMINDERS / 2,
            Duration.ofMillis(DELAY_MS + 120_000));
        // A cancelled message would have been due at about the same time as the others.
        readFor(reader, kstatefunOut, Duration.ofSeconds(10));
      }

      Map<String, Integer> counts = new HashMap<>();
      Map<String, Integer> fired = new HashMap<>();
      for (ConsumerRecord<String, String> r : kstatefunOut) {
        String[] f = r.value().split(":");
        if (f[0].equals("counter")) {
          assertThat(f[2])
              .as("counter %s continues at N+1 and only once", f[1])
              .isEqualTo(String.valueOf(N + 1));
          counts.merge(f[1], 1, Integer::sum);
        } else {
          assertThat(r.timestamp())
              .as("reminder %s fired not before it was due", f[1])
              .isGreaterThanOrEqualTo(dueNotBefore);
          fired.merge(f[1], 1, Integer::sum);
        }
      }
      assertThat(counts)
          .as("one N+1 per counter")
          .hasSize(KEYS)
          .allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
      Map<String, Integer> expectedFired = new HashMap<>();
      for (int r = REMINDERS / 2; r < REMINDERS; r++) {
        expectedFired.put("r" + r, 1);
      }
      assertThat(fired)
          .as("each kept reminder fired once; no cancelled one")
          .isEqualTo(expectedFired);
    }
  }

  private static Path writeModule(
      Path dir, String url, String bootstrap, String counterTopic, String reminderTopic)
      throws IOException {
    String yaml =
        """
        kind: io.statefun.endpoints.v2/http
        spec:
          functions: migration/*
          urlPathTemplate: %s
        ---
        kind: io.statefun.kafka.v1/ingress
        spec:
          id: migration/in
          address: %s
          consumerGroupId: statefun-migration
          startupPosition:
            type: earliest
          topics:
            - topic: %s
              valueType: migration/payload
              targets:
                - migration/counter
            - topic: %s
              valueType: migration/payload
              targets:
                - migration/reminder
        ---
        kind: io.statefun.kafka.v1/egress
        spec:
          id: migration/out
          address: %s
          deliverySemantic:
            type: at-least-once
        """
            .formatted(url, bootstrap, counterTopic, reminderTopic, bootstrap);
    return Files.writeString(dir.resolve("module.yaml"), yaml);
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> reader(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    c.assign(List.of(new TopicPartition(topic, 0)));
    return c;
  }

  private static long endOffset(String bootstrap, String topic) {
    try (KafkaConsumer<String, String> c = reader(bootstrap, topic)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      return c.endOffsets(List.of(tp)).get(tp);
    }
  }

  private static void readUntil(
      KafkaConsumer<String, String> reader,
      List<ConsumerRecord<String, String>> sink,
      Predicate<List<ConsumerRecord<String, String>>> done,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(sink) && System.nanoTime() < deadline) {
      reader.poll(Duration.ofMillis(200)).forEach(sink::add);
    }
  }

  private static void readFor(
      KafkaConsumer<String, String> reader,
      List<ConsumerRecord<String, String>> sink,
      Duration window) {
    long end = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < end) {
      reader.poll(Duration.ofMillis(200)).forEach(sink::add);
    }
  }

  private static void awaitTrue(
      java.util.function.BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  /**
   * The StateFun 3.3.0 job ({@code StatefunJobMain} of statefun-import's tests) in its own JVM with
   * that module's test class path; its output goes to a log file.
   */
  private static final class StatefunJob implements AutoCloseable {
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private StatefunJob(Process process, Path log) {
      this.process = process;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(
                                process.getInputStream(), StandardCharsets.UTF_8));
                    Writer out = Files.newBufferedWriter(log)) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    out.write(line + "\n");
                    out.flush();
                    if (line.startsWith("statefun ")) {
                      lines.add(line);
                    }
                  }
                } catch (IOException ignored) {
                  // process ended
                }
              },
              "statefun-job-output");
      pump.setDaemon(true);
      pump.start();
    }

    static StatefunJob start(Path module, Path log) throws Exception {
      String classes = System.getProperty("kstatefun.statefun-job.classes");
      String classpath =
          Files.readString(Path.of(System.getProperty("kstatefun.statefun-job.classpath-file")))
              .trim();
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx768m");
      command.addAll(ImportStatefunCommandAccess.flinkJvmOptions());
      command.add("-cp");
      command.add(classes + java.io.File.pathSeparator + classpath);
      command.add("io.kstatefun.statefunimport.testing.StatefunJobMain");
      command.add(module.toString());
      // The StateFun job's state backend: rocksdb (default) or hashmap (-Dstatefun.it.backend).
      command.add(System.getProperty("statefun.it.backend", "rocksdb"));
      command.add("2");
      StatefunJob job =
          new StatefunJob(new ProcessBuilder(command).redirectErrorStream(true).start(), log);
      String first = job.lines.poll(3, TimeUnit.MINUTES);
      assertThat(first).as("StateFun job started (see %s)", log).startsWith("statefun running");
      return job;
    }

    /** {@code flink savepoint} + {@code flink cancel}; the savepoint's path. */
    Path savepoint(Path dir) throws Exception {
      stdin.write("savepoint " + dir + "\n");
      stdin.flush();
      String line = lines.poll(5, TimeUnit.MINUTES);
      assertThat(line).as("savepoint taken").startsWith("statefun savepoint ");
      process.waitFor(60, TimeUnit.SECONDS);
      return Path.of(java.net.URI.create(line.substring("statefun savepoint ".length())));
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
