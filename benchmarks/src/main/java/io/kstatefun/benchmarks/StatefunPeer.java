package io.kstatefun.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The StateFun 3.3.0 peer of one run: the benchmark functions written with the official StateFun
 * Java SDK ({@code benchmarks-statefun}'s {@code FunctionServerMain}) and a StateFun job on a Flink
 * 1.16 MiniCluster ({@code StatefunJobMain}), each in its own JVM on the {@code
 * benchmarks-statefun} module's class path (Flink never joins this module's). The job runs the
 * run's module: the same Kafka ingress, HTTP endpoint and exactly-once Kafka egress as kstatefun's.
 *
 * <p>Settings of the run read here: {@code statefun.parallelism} (default {@value
 * #DEFAULT_PARALLELISM}), {@code statefun.checkpoint.interval.ms} (default 1000), {@code
 * statefun.state.backend} ({@code rocksdb} or {@code hashmap}, default rocksdb), {@code
 * statefun.jvm} (JVM options of the job, default {@code -Xms1g -Xmx1g -XX:+UseG1GC}).
 */
final class StatefunPeer implements AutoCloseable {

  /** Set by {@code bin/kstatefun-bench}: the class path of {@code benchmarks-statefun}. */
  static final String CLASSPATH_PROPERTY = "kstatefun.bench.statefun-classpath";

  static final int DEFAULT_PARALLELISM = 2;

  /**
   * What the JDK 17 module system must open for Flink 1.16 (Kryo, closures); the same list as the
   * cli's {@code ImportStatefunCommand.FLINK_JVM_OPTIONS}.
   */
  static final List<String> FLINK_JVM_OPTIONS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private final Map<String, Long> pids = new LinkedHashMap<>();
  private final Map<String, String> effectiveSettings = new LinkedHashMap<>();
  private final Path checkpoints;
  private PeerProcess functions;
  private PeerProcess job;

  /**
   * Starts the function server, then the job with the module {@code moduleYaml} returns for the
   * function server's URL.
   */
  StatefunPeer(
      Environment env,
      RunSpec spec,
      String app,
      Path runDir,
      String egress,
      Function<String, String> moduleYaml)
      throws Exception {
    String classpath = System.getProperty(CLASSPATH_PROPERTY);
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException(
          "the StateFun peer needs the benchmarks-statefun class path: run bin/kstatefun-bench "
              + "(it builds the module), or set -D"
              + CLASSPATH_PROPERTY);
    }
    checkpoints = runDir.resolve("statefun-checkpoints");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      int port = PeerProcess.freePort();
      functions =
          PeerProcess.start(
              "statefun-functions",
              List.of(
                  java,
                  "-Xms256m",
                  "-Xmx512m",
                  "-XX:+UseG1GC",
                  "-cp",
                  sdkClasspath(classpath),
                  "io.kstatefun.benchmarks.statefun.FunctionServerMain",
                  Integer.toString(port),
                  egress),
              Map.of(),
              runDir,
              env.logDir().resolve(app + "-statefun-functions.log"));
      functions.awaitReady(() -> functions.logContains("BENCH ready"), START_TIMEOUT);
      pids.put("statefun_functions", functions.pid());

      Path module = runDir.resolve("statefun-module.yaml");
      Files.writeString(module, moduleYaml.apply("http://127.0.0.1:" + port + "/statefun"));
      String parallelism =
          spec.settings()
              .getOrDefault("statefun.parallelism", Integer.toString(DEFAULT_PARALLELISM));
      String interval = spec.settings().getOrDefault("statefun.checkpoint.interval.ms", "1000");
      String backend = spec.settings().getOrDefault("statefun.state.backend", "rocksdb");
      String jvm = spec.settings().getOrDefault("statefun.jvm", "-Xms1g -Xmx1g -XX:+UseG1GC");
      effectiveSettings.put("statefun.version", "3.3.0 (Flink 1.16.2 MiniCluster)");
      effectiveSettings.put("statefun.parallelism", parallelism);
      effectiveSettings.put("statefun.checkpoint.interval.ms", interval);
      effectiveSettings.put("statefun.state.backend", backend);
      effectiveSettings.put("statefun.jvm", jvm);
      effectiveSettings.put("egress", "StateFun Kafka egress, exactly-once");
      List<String> command = new ArrayList<>();
      command.add(java);
      command.addAll(List.of(jvm.trim().split("\\s+")));
      command.addAll(FLINK_JVM_OPTIONS);
      command.addAll(
          List.of(
              "-cp",
              classpath,
              "io.kstatefun.benchmarks.statefun.StatefunJobMain",
              module.toString(),
              parallelism,
              interval,
              backend,
              checkpoints.toString()));
      job =
          PeerProcess.start(
              "statefun-job",
              command,
              Map.of(),
              runDir,
              env.logDir().resolve(app + "-statefun-job.log"));
      job.awaitReady(() -> job.logContains("BENCH ready"), START_TIMEOUT);
      pids.put("statefun_job", job.pid());
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /**
   * The function server's class path: the module's own jar and the SDK jar only. The SDK's
   * generated protocol classes have the same names as those in StateFun's runtime (compiled against
   * unshaded protobuf), so the two must not share a class path.
   */
  static String sdkClasspath(String classpath) throws IOException {
    List<String> out = new ArrayList<>();
    for (String entry : classpath.split(java.io.File.pathSeparator)) {
      if (entry.endsWith("*")) {
        Path dir = Path.of(entry.substring(0, entry.length() - 1));
        try (var files = Files.list(dir)) {
          files
              .filter(f -> f.getFileName().toString().startsWith("statefun-sdk-java-"))
              .forEach(f -> out.add(f.toString()));
        }
      } else {
        out.add(entry);
      }
    }
    if (out.stream()
        .noneMatch(e -> Path.of(e).getFileName().toString().startsWith("statefun-sdk-java-"))) {
      throw new IOException("no statefun-sdk-java jar in " + classpath);
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  Map<String, Long> pids() {
    return pids;
  }

  Map<String, String> effectiveSettings() {
    return effectiveSettings;
  }

  @Override
  public void close() {
    if (job != null) {
      job.stop(Duration.ofSeconds(30));
    }
    if (functions != null) {
      functions.stop(Duration.ofSeconds(10));
    }
    try {
      Environment.deleteRecursively(checkpoints);
    } catch (IOException e) {
      Bench.log("could not delete " + checkpoints + ": " + e);
    }
  }
}
