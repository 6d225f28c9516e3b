package io.kstatefun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release tarball ({@code cli/target/kstatefun-VERSION.tar.gz}, built by {@code mvn package}),
 * unpacked into an empty directory and run the way a user without the source tree or Maven runs it:
 * every process sees a PATH with only {@code java}, {@code bash} and {@code dirname}.
 */
@Timeout(300)
class TarballIT {

  private static final Duration STARTUP = Duration.ofSeconds(120);

  @TempDir static Path dir;
  private static Path home;
  private static Path tools;

  @BeforeAll
  static void unpack() throws Exception {
    Path tarball =
        Path.of(
            System.getProperty("kstatefun.tarball", "target/kstatefun-" + version() + ".tar.gz"));
    assertThat(tarball).as("the release tarball (built by mvn package)").isRegularFile();
    Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
    Process tar =
        new ProcessBuilder(
                "tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", unpacked.toString())
            .inheritIO()
            .start();
    assertThat(tar.waitFor()).as("tar -xzf exit code").isZero();
    home = unpacked.resolve("kstatefun-" + version());
    tools = Files.createDirectories(dir.resolve("tools"));
    Files.createSymbolicLink(
        tools.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    for (String tool : List.of("bash", "dirname")) {
      Files.createSymbolicLink(tools.resolve(tool), which(tool));
    }
  }

  @Test
  void shouldShipTheLauncherTheLibrariesTheExampleConfigurationAndTheDocs() throws Exception {
    assertThat(home.resolve("bin/kstatefun")).isExecutable();
    assertThat(home.resolve("config/examples/greeter/module.yaml")).isRegularFile();
    assertThat(home.resolve("config/kstatefun-log4j2.xml")).isRegularFile();
    assertThat(home.resolve("docs/cli.md")).isRegularFile();
    assertThat(home.resolve("docs/deploying.md")).isRegularFile();
    try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .contains(
              "kstatefun-cli-" + version() + ".jar",
              "kstatefun-kstreams-runtime-" + version() + ".jar",
              "kstatefun-local-kafka-" + version() + ".jar",
              "kstatefun-examples-" + version() + ".jar")
          .noneMatch(name -> name.contains("junit") || name.contains("assertj"))
          .as("Flink stays off the runtime's class path")
          .noneMatch(
              name ->
                  name.endsWith(".jar")
                      && (name.startsWith("flink-") || name.startsWith("statefun-")));
    }
    try (Stream<Path> jars = Files.list(home.resolve("lib/statefun-import"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .as("import-statefun's own class path")
          .contains(
              "kstatefun-statefun-import-" + version() + ".jar",
              "flink-state-processor-api-1.16.2.jar",
              "statefun-flink-core-3.3.0.jar");
    }
    assertThat(shell("command -v mvn").exitCode())
        .as("mvn is not on the PATH the tests give the release")
        .isNotZero();
    assertThat(shell("command -v java").exitCode()).isZero();

    Result help = kstatefun("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output()).contains("dev ", "run ", "kafka ", "topic ", "dlq ");
    Result devHelp = kstatefun("dev", "--help");
    assertThat(devHelp.exitCode()).isZero();
    assertThat(devHelp.output()).contains("--kafka-port=PORT");
    assertThat(kstatefun("-V").output()).contains("kstatefun " + version());
  }

  @Test
  void shouldRunAnExampleModuleToAFirstEgressRecordWithOnlyAJdkOnThePath() throws Exception {
    String app = "tarball-" + UUID.randomUUID().toString().substring(0, 8);
    try (Child kafka =
        start(
            "kafka",
            kstatefunCommand(
                "kafka",
                "--port",
                "0",
                "--dir",
                dir.resolve("kafka").toString(),
                "--parent-pid",
                Long.toString(ProcessHandle.current().pid())))) {
      String bootstrap =
          kafka
              .await(line -> line.startsWith("kafka ready at "), STARTUP)
              .substring("kafka ready at ".length())
              .trim();

      Result topics =
          kstatefun(
              "topic",
              "create",
              "names",
              "greetings",
              "--partitions",
              "2",
              "--bootstrap-servers",
              bootstrap);
      assertThat(topics.exitCode()).as(topics.output()).isZero();
      assertThat(topics.output()).contains("created topic names with 2 partitions");

      try (Child functions =
          start(
              "greeter",
              List.of(
                  tools.resolve("java").toString(),
                  "-cp",
                  home.resolve("lib") + "/*",
                  "io.kstatefun.examples.greeter.Greeter",
                  "0"))) {
        String port =
            functions
                .await(line -> line.startsWith("greeter functions listening on port "), STARTUP)
                .replaceAll("\\D+", "");
        Path module = dir.resolve(app + "-module.yaml");
        Files.writeString(
            module,
            Files.readString(home.resolve("config/examples/greeter/module.yaml"))
                .replace("http://localhost:8000", "http://127.0.0.1:" + port)
                .replace("localhost:9092", bootstrap));

        try (Child runtime =
            start(
                "runtime",
                kstatefunCommand(
                    "run",
                    "--module",
                    module.toString(),
                    "--application-id",
                    app,
                    "--state-dir",
                    dir.resolve(app).toString(),
                    "--set",
                    "kstatefun.partitions=2"))) {
          runtime.await(line -> line.startsWith("kstatefun running"), STARTUP);
          try (KafkaProducer<String, String> producer =
              new KafkaProducer<>(
                  Map.of(
                      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                      bootstrap,
                      ProducerConfig.ACKS_CONFIG,
                      "all"),
                  new StringSerializer(),
                  new StringSerializer())) {
            producer
                .send(new ProducerRecord<>("names", "alice", "alice"))
                .get(30, TimeUnit.SECONDS);
          }
          assertThat(firstRecord(bootstrap, "greetings", Duration.ofSeconds(90)))
              .isEqualTo("alice -> Hello alice, visit #1");

          Result dlq =
              kstatefun("dlq", "--bootstrap-servers", bootstrap, "--topic", app + "-dead-letters");
          assertThat(dlq.exitCode()).as(dlq.output()).isZero();
          assertThat(dlq.output()).contains("0 record(s)");

          // A JVM ended by SIGTERM exits with 143 (128 + 15) after its shutdown hooks ran.
          assertThat(runtime.stop()).as("exit code of kstatefun run after SIGTERM").isIn(0, 143);
          assertThat(runtime.output()).contains("kstatefun: shutting down");
          // The launcher's default class data sharing: the first run recorded its archive at exit.
          assertThat(home.resolve("lib/kstatefun-run.jsa")).isNotEmptyFile();
        }
      }
      assertThat(kafka.stop()).as("exit code of kstatefun kafka after SIGTERM").isIn(0, 143);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String version() {
    return System.getProperty("kstatefun.version", "0.1.0-SNAPSHOT");
  }

  private static Path which(String tool) {
    for (String entry : System.getenv("PATH").split(":")) {
      Path candidate = Path.of(entry, tool);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(tool + " is not on this machine's PATH");
  }

  private static List<String> kstatefunCommand(String... args) {
    List<String> command = new ArrayList<>(List.of(home.resolve("bin/kstatefun").toString()));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * A process with the release's environment: the unpacked directory, PATH = java, bash, dirname.
   */
  private static ProcessBuilder builder(List<String> command) {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", tools.toString());
    pb.environment().put("KSTATEFUN_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC");
    return pb;
  }

  record Result(int exitCode, String output) {}

  private static Result kstatefun(String... args) throws Exception {
    return run(kstatefunCommand(args));
  }

  private static Result shell(String script) throws Exception {
    return run(List.of(tools.resolve("bash").toString(), "-c", script));
  }

  private static Result run(List<String> command) throws Exception {
    Process p = builder(command).start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return e.toString();
              }
            });
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " did not end within 120 s");
    }
    String printed = output.get(10, TimeUnit.SECONDS);
    System.out.println(
        "[" + String.join(" ", command.subList(1, command.size())) + "] " + printed.strip());
    return new Result(p.exitValue(), printed);
  }

  private static Child start(String name, List<String> command) throws IOException {
    return new Child(name, builder(command).start());
  }

  /** A long-running process of the release; its output is kept and echoed with a prefix. */
  private static final class Child implements AutoCloseable {
    private final Process process;
    private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    private final Thread pump;

    Child(String name, Process process) {
      this.process = process;
      this.pump =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    System.out.println("[" + name + "] " + line);
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // the process ended
                }
              },
              name + "-output");
      pump.setDaemon(true);
      pump.start();
    }

    /** Polls the output until a line matches; fails if the process ends or the time passes. */
    String await(Predicate<String> match, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (String line : lines) {
          if (match.test(line)) {
            return line;
          }
        }
        if (!process.isAlive()) {
          throw new AssertionError(
              "process ended with "
                  + process.exitValue()
                  + " before the expected line:\n"
                  + output());
        }
        Thread.sleep(50);
      }
      throw new AssertionError("no expected line within " + timeout + ":\n" + output());
    }

    String output() {
      return String.join("\n", lines);
    }

    /** SIGTERM, then the exit code, once all output is read. */
    int stop() throws InterruptedException {
      // SIGTERM through the handle: Process.destroy() would also close our end of its output.
      process.toHandle().destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      pump.join(10_000);
      return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static String firstRecord(String bootstrap, String topic, Duration timeout) {
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "tarball-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          return r.key() + " -> " + r.value();
        }
      }
    }
    throw new AssertionError("no record on " + topic + " within " + timeout);
  }
}
