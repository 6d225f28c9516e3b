package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The system under test for one run: topics, and either a kstatefun runtime instance (with the
 * function server writing to the run's egress topic) or a baseline Kafka Streams application.
 * Instances run in the environment's long-lived host JVMs by default, in this JVM with {@code
 * --runtime-inproc}, or are attached to.
 */
final class Deployment implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

  private final Environment env;
  private final RunSpec spec;
  private final String app;
  private final String ingressTopic;
  private final String egressTopic;
  private final Path runDir;
  private final Map<String, String> effectiveSettings = new LinkedHashMap<>();
  private ChildJvm functionsJvm;
  private ChildJvm systemJvm;
  private boolean systemStarted;
  private Path jfrFile;
  private FunctionServer functionServerInProcess;
  private ScheduledExecutorService timersInProcess;
  private KStatefunRuntime runtimeInProcess;
  private Children.CountingListener inProcessListener;
  private List<String> freshStartFields;
  private RestatePeer restate;
  private StatefunPeer statefun;

  Deployment(Environment env, RunSpec spec, String app) throws Exception {
    this.env = env;
    this.spec = spec;
    this.app = app;
    this.runDir = env.workDir().resolve("runs").resolve(app);
    Files.createDirectories(runDir);
    boolean attached =
        spec.workload() != Workload.BASELINE
            && !spec.system().isPeer()
            && env.options().attachRuntime();
    this.ingressTopic = attached ? env.options().ingressTopic() : app + "-in";
    this.egressTopic = attached ? env.options().egressTopic() : app + "-out";
    if (!attached) {
      env.createTopics(Map.of(ingressTopic, spec.partitions(), egressTopic, spec.partitions()));
    }
    try {
      if (spec.workload() == Workload.BASELINE) {
        startBaseline();
      } else if (spec.system() == SystemKind.RESTATE) {
        restate = new RestatePeer(env, spec, app, runDir, ingressTopic, egressTopic);
        effectiveSettings.putAll(restate.effectiveSettings());
      } else if (spec.system() == SystemKind.STATEFUN) {
        statefun = new StatefunPeer(env, spec, app, runDir, egressTopic, this::moduleYaml);
        effectiveSettings.putAll(statefun.effectiveSettings());
      } else if (!attached) {
        startKstatefun();
      }
      startJfr();
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  String ingressTopic() {
    return ingressTopic;
  }

  String egressTopic() {
    return egressTopic;
  }

  /** The settings the system under test runs with (defaults included). */
  Map<String, String> effectiveSettings() {
    return effectiveSettings;
  }

  /** Processes to account CPU for, by name (those in this JVM count as the driver's). */
  Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>(env.fixedPids());
    if (functionsJvm != null) {
      pids.put("functions", functionsJvm.pid());
    }
    if (systemJvm != null) {
      pids.put(spec.workload() == Workload.BASELINE ? "baseline" : "runtime", systemJvm.pid());
    }
    if (restate != null) {
      pids.putAll(restate.pids());
    }
    if (statefun != null) {
      pids.putAll(statefun.pids());
    }
    pids.put("driver", ProcessHandle.current().pid());
    return pids;
  }

  /** The pid of the runtime or baseline JVM, or -1 if it is not a child. */
  long systemPid() {
    return systemJvm == null ? -1 : systemJvm.pid();
  }

  /** Stats of the runtime (or baseline) JVM; {@code gc} first collects garbage (live heap). */
  @SuppressWarnings("unchecked")
  Map<String, Object> systemStats(boolean gc) {
    try {
      if (systemJvm != null) {
        String line = systemJvm.request(gc ? "gcstats" : "stats", Duration.ofSeconds(60));
        return line == null || !line.startsWith("{") ? Map.of() : JSON.readValue(line, Map.class);
      }
      if (runtimeInProcess != null) {
        Map<String, Object> m = new LinkedHashMap<>(inProcessListener.snapshot());
        m.putAll(Children.streamsMetrics(runtimeInProcess.streams()));
        return m;
      }
    } catch (Exception e) {
      Bench.log("stats of " + app + " failed: " + e);
    }
    return Map.of();
  }

  private void startBaseline() throws Exception {
    Map<String, String> settings = baseSettings();
    // The baseline commits like kstatefun does unless told otherwise (baseline.* settings win).
    settings.putIfAbsent(
        BaselineApp.COMMIT_ON_OUTPUT_CONFIG,
        kstatefunSetting(KStatefunConfig.COMMIT_ON_OUTPUT_CONFIG));
    settings.putIfAbsent(
        BaselineApp.COMMIT_MIN_INTERVAL_MS_CONFIG,
        kstatefunSetting(KStatefunConfig.COMMIT_MIN_INTERVAL_MS_CONFIG));
    settings.keySet().removeIf(k -> k.startsWith("kstatefun."));
    effectiveSettings.putAll(settings);
    List<String> fields =
        new ArrayList<>(
            List.of(
                "start",
                ingressTopic,
                egressTopic,
                app,
                env.bootstrap(),
                runDir.resolve("state").toString()));
    settings.forEach((k, v) -> fields.add(k + "=" + v));
    systemJvm = env.baselineHost();
    startInstance(fields);
  }

  private void startInstance(List<String> fields) throws Exception {
    String reply = systemJvm.request(String.join("\t", fields), START_TIMEOUT);
    if (reply == null || !reply.startsWith("ready")) {
      throw new IllegalStateException(
          app + " did not start: " + reply + " (see " + systemJvm.log() + ")");
    }
    systemStarted = true;
  }

  private String kstatefunSetting(String key) {
    return spec.settings()
        .getOrDefault(key, String.valueOf(KStatefunConfig.DEFINITION.defaultValues().get(key)));
  }

  /**
   * Kafka Streams settings for the system under test: kstatefun's Streams defaults, overridden by
   * the run's settings; {@code kstatefun.*} keys are kept for the runtime.
   */
  private Map<String, String> baseSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    KStatefunConfig.streamsDefaults().forEach((k, v) -> s.put(k, String.valueOf(v)));
    s.putAll(spec.settings());
    return s;
  }

  private void startKstatefun() throws Exception {
    String url;
    if (env.options().functionsUrl() != null) {
      url = env.options().functionsUrl();
    } else if (env.options().runtimeInProcess()) {
      timersInProcess = BenchFunctions.timers();
      functionServerInProcess =
          new FunctionServer(
                  BenchFunctions.registry(() -> egressTopic, 50, 10 * 1024, timersInProcess),
                  FunctionServerOptions.defaults()
                      .withHost("127.0.0.1")
                      .withShutdownTimeout(Duration.ofSeconds(5)))
              .listen(0);
      url = "http://127.0.0.1:" + functionServerInProcess.port() + "/statefun";
    } else {
      functionsJvm = env.functionsHost();
      String reply = functionsJvm.request("egress\t" + egressTopic, Duration.ofSeconds(30));
      if (!"ok".equals(reply)) {
        throw new IllegalStateException("function server did not take the egress topic: " + reply);
      }
      String port =
          functionsJvm.readyLine().substring(functionsJvm.readyLine().indexOf("port=") + 5).trim();
      url = "http://127.0.0.1:" + port + "/statefun";
    }
    Path module = runDir.resolve("module.yaml");
    Files.writeString(module, moduleYaml(url), StandardCharsets.UTF_8);

    Map<String, String> settings = baseSettings();
    settings.keySet().removeIf(k -> k.startsWith("baseline."));
    settings.put(KStatefunConfig.PARTITIONS_CONFIG, Integer.toString(spec.partitions()));
    effectiveSettings.putAll(settings);
    for (var e : KStatefunConfig.DEFINITION.defaultValues().entrySet()) {
      effectiveSettings.putIfAbsent(e.getKey(), String.valueOf(e.getValue()));
    }
    if (env.options().runtimeInProcess()) {
      Map<String, Object> props = new LinkedHashMap<>(settings);
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap());
      props.put(StreamsConfig.STATE_DIR_CONFIG, runDir.resolve("state").toString());
      inProcessListener = new Children.CountingListener();
      runtimeInProcess =
          KStatefunRuntime.start(ModuleParser.parse(module), props, inProcessListener);
      if (!runtimeInProcess.awaitRunning(START_TIMEOUT)) {
        throw new IllegalStateException(
            "runtime did not reach RUNNING: " + runtimeInProcess.streams().state());
      }
      return;
    }
    List<String> fields =
        new ArrayList<>(
            List.of(
                "start",
                module.toString(),
                app,
                env.bootstrap(),
                runDir.resolve("state").toString()));
    settings.forEach((k, v) -> fields.add(k + "=" + v));
    if (spec.mode() == RunSpec.Mode.FRESH) {
      // Started by startFresh(), while the driver already sends.
      freshStartFields = fields;
      return;
    }
    systemJvm = env.runtimeHost();
    startInstance(fields);
  }

  /**
   * A fresh-start run: starts a new runtime JVM and the instance in it; returns when the instance
   * is RUNNING. Runs on a thread of its own while the driver sends.
   */
  void startFresh() throws Exception {
    if (freshStartFields == null) {
      throw new IllegalStateException(
          "a fresh-start run needs a runtime JVM of its own (not in-process or attached)");
    }
    systemJvm = env.freshRuntimeHost("runtime-fresh-" + app);
    startInstance(freshStartFields);
  }

  /** A JFR recording of the runtime or baseline JVM for this run (jcmd), with {@code --jfr}. */
  private void startJfr() {
    if (!spec.jfr() || systemJvm == null) {
      return;
    }
    jfrFile = env.logDir().resolve(app + ".jfr");
    jcmd("JFR.start", "name=" + app, "settings=profile");
  }

  private void stopJfr() {
    if (jfrFile != null) {
      jcmd("JFR.stop", "name=" + app, "filename=" + jfrFile);
      Bench.log("JFR recording of " + app + ": " + jfrFile);
    }
  }

  private void jcmd(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    command.add(Long.toString(systemJvm.pid()));
    command.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor(60, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      Bench.log("jcmd " + List.of(args) + " failed: " + e);
    }
  }

  private String moduleYaml(String url) {
    return String.join(
        "\n",
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: bench/*",
        "  urlPathTemplate: " + url,
        "  transport:",
        "    call: 5m",
        "---",
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: bench/in",
        "  address: " + env.bootstrap(),
        "  consumerGroupId: " + app,
        "  startupPosition:",
        "    type: earliest",
        "  topics:",
        "    - topic: " + ingressTopic,
        "      valueType: " + BenchFunctions.PAYLOAD_TYPE,
        "      targets:",
        "        - bench/" + spec.workload().firstFunction(),
        "---",
        "kind: io.statefun.kafka.v1/egress",
        "spec:",
        "  id: " + BenchFunctions.EGRESS.namespace() + "/" + BenchFunctions.EGRESS.name(),
        "  address: " + env.bootstrap(),
        "  deliverySemantic:",
        "    type: exactly-once",
        "    transactionTimeout: 15min",
        "");
  }

  @Override
  public void close() {
    stopJfr();
    if (systemJvm != null && systemStarted) {
      try {
        String reply = systemJvm.request("stop", Duration.ofSeconds(90));
        if (!"stopped".equals(reply)) {
          Bench.log(app + ": stop answered " + reply);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (runtimeInProcess != null) {
      runtimeInProcess.close(Duration.ofSeconds(30));
    }
    if (restate != null) {
      restate.close();
    }
    if (statefun != null) {
      statefun.close();
    }
    if (functionServerInProcess != null) {
      functionServerInProcess.close();
      timersInProcess.shutdownNow();
    }
    if (!env.options().attachRuntime()
        || spec.workload() == Workload.BASELINE
        || spec.system().isPeer()) {
      env.deleteTopics(List.of(app + "-"));
    }
    try {
      Environment.deleteRecursively(runDir.resolve("state"));
    } catch (Exception e) {
      Bench.log("could not delete " + runDir + ": " + e);
    }
  }
}
