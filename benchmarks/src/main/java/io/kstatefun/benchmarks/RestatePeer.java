package io.kstatefun.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Restate peer of one run: restate-server 1.7 (single node, fresh data directory) and the
 * benchmark service ({@code benchmarks/peers/restate/service.js}, Node.js) writing to the run's
 * egress topic, with a Kafka subscription from the run's ingress topic to {@code
 * <workload>/process}. The software is installed (once) by {@code
 * benchmarks/peers/restate/install.sh} into {@code <peer home>/restate}, outside the repository.
 *
 * <p>Settings of the run read here: {@code restate.partitions} (Restate's partitions, default
 * {@value #DEFAULT_PARTITIONS}). Other settings are ignored.
 */
final class RestatePeer implements AutoCloseable {

  static final String PARTITIONS_SETTING = "restate.partitions";
  static final int DEFAULT_PARTITIONS = 2;
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  private final Map<String, Long> pids = new LinkedHashMap<>();
  private final Map<String, String> effectiveSettings = new LinkedHashMap<>();
  private final Path dataDir;
  private PeerProcess service;
  private PeerProcess server;

  /**
   * Installs if needed, then starts the service and the server and subscribes the workload's first
   * function to the ingress topic.
   */
  RestatePeer(Environment env, RunSpec spec, String app, Path runDir, String ingress, String egress)
      throws Exception {
    Path peers = Peers.sourceDir().resolve("restate");
    Path home = env.options().peerHome().resolve("restate");
    install(peers, home, env.logDir());
    dataDir = runDir.resolve("restate-data");
    try {
      int servicePort = PeerProcess.freePort();
      service =
          PeerProcess.start(
              "restate-service",
              List.of("node", home.resolve("service.js").toString()),
              Map.of(
                  "PORT", Integer.toString(servicePort),
                  "BOOTSTRAP", env.bootstrap(),
                  "OUT_TOPIC", egress),
              home,
              env.logDir().resolve(app + "-restate-service.log"));
      service.awaitReady(() -> service.logContains("BENCH ready"), START_TIMEOUT);
      pids.put("restate_service", service.pid());

      int adminPort = PeerProcess.freePort();
      String partitions =
          spec.settings().getOrDefault(PARTITIONS_SETTING, Integer.toString(DEFAULT_PARTITIONS));
      effectiveSettings.put(PARTITIONS_SETTING, partitions);
      String config =
          Files.readString(peers.resolve("restate.toml.template"), StandardCharsets.UTF_8)
              .replace("@DATA_DIR@", dataDir.toString())
              .replace("@FABRIC_PORT@", Integer.toString(PeerProcess.freePort()))
              .replace("@ADMIN_PORT@", Integer.toString(adminPort))
              .replace("@INGRESS_PORT@", Integer.toString(PeerProcess.freePort()))
              .replace("@NUM_PARTITIONS@", partitions)
              .replace("@BOOTSTRAP@", env.bootstrap());
      Path configFile = runDir.resolve("restate.toml");
      Files.writeString(configFile, config, StandardCharsets.UTF_8);
      server =
          PeerProcess.start(
              "restate-server",
              List.of(
                  serverBinary(home).toString(),
                  "--config-file",
                  configFile.toString(),
                  "--no-logo"),
              Map.of(),
              runDir,
              env.logDir().resolve(app + "-restate-server.log"));
      pids.put("restate_server", server.pid());
      String admin = "http://127.0.0.1:" + adminPort;
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      server.awaitReady(() -> get(http, admin + "/health") == 200, START_TIMEOUT);
      // Registration may fail while the server's partitions are still starting: retry.
      post(
          http,
          admin + "/deployments",
          "{\"uri\":\"http://127.0.0.1:" + servicePort + "\",\"force\":true}");
      post(
          http,
          admin + "/subscriptions",
          "{\"source\":\"kafka://bench/"
              + ingress
              + "\",\"sink\":\"service://"
              + spec.workload().firstFunction()
              + "/process\",\"options\":{\"auto.offset.reset\":\"earliest\","
              + "\"session.timeout.ms\":\"6000\",\"group.id\":\""
              + app
              + "\"}}");
      effectiveSettings.put("restate.version", "1.7.12");
      effectiveSettings.put("egress", "kafkajs producer inside ctx.run (at-least-once)");
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /** Processes to account CPU for. */
  Map<String, Long> pids() {
    return pids;
  }

  Map<String, String> effectiveSettings() {
    return effectiveSettings;
  }

  /** Runs the (idempotent) install script; fails with its log when it fails. */
  static void install(Path peers, Path home, Path logDir) throws IOException, InterruptedException {
    Path log = logDir.resolve("restate-install.log");
    Process p =
        new ProcessBuilder("bash", peers.resolve("install.sh").toString(), home.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("installing Restate took more than 10 minutes; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new IOException("installing Restate failed; see " + log);
    }
  }

  /** The restate-server binary itself (not the Node.js wrapper in node_modules/.bin). */
  static Path serverBinary(Path home) throws IOException {
    Path scope = home.resolve("node_modules").resolve("@restatedev");
    try (var dirs = Files.list(scope)) {
      for (Path d : dirs.toList()) {
        Path bin = d.resolve("bin").resolve("restate-server");
        if (d.getFileName().toString().startsWith("restate-server-") && Files.isExecutable(bin)) {
          return bin;
        }
      }
    }
    throw new IOException("no restate-server binary for this platform under " + scope);
  }

  private static int get(HttpClient http, String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static void post(HttpClient http, String url, String json)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(30))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 == 2) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "POST " + url + " " + json + " answered " + r.statusCode() + ": " + r.body());
      }
      Thread.sleep(500);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(Duration.ofSeconds(20));
    }
    if (service != null) {
      service.stop(Duration.ofSeconds(10));
    }
    try {
      Environment.deleteRecursively(dataDir);
    } catch (IOException e) {
      Bench.log("could not delete " + dataDir + ": " + e);
    }
  }
}
