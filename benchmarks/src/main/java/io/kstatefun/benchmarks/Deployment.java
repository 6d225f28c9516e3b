package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The system under test for one run: topics, and either a function server plus a kstatefun
 * runtime, or the baseline Kafka Streams application. Started per run (child JVMs by default),
 * or attached to when the environment says so.
 */
final class Deployment implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Environment env;
  private final RunSpec spec;
  private final String app;
  private final String ingressTopic;
  private final String egressTopic;
  private final Path runDir;
  private final Map<String, String> effectiveSettings = new LinkedHashMap<>();
  private ChildJvm functionsJvm;
  private ChildJvm systemJvm;
  private FunctionServer functionServerInProcess;
  private ScheduledExecutorService timersInProcess;
  private KStatefunRuntime runtimeInProcess;
  private Children.CountingListener inProcessListener;

  Deployment(Environment env, RunSpec spec, String app) throws Exception {
    this.env = env;
    this.spec = spec;
    this.app = app;
    this.runDir = env.workDir().resolve("runs").resolve(app);
    Files.createDirectories(runDir);
    boolean attached = spec.workload() != Workload.BASELINE && env.options().attachRuntime();
    this.ingressTopic = attached ? env.options().ingressTopic() : app + "-in";
    this.egressTopic = attached ? env.options().egressTopic() : app + "-out";
    if (!attached) {
      env.createTopics(Map.of(ingressTopic, spec.partitions(), egressTopic, spec.partitions()));
    }
    try {
      if (spec.workload() == Workload.BASELINE) {
        startBaseline();
      } else if (!attached) {
        startKstatefun();
      }
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
        String line = systemJvm.request(gc ? "gcstats" : "stats", Duration.ofSeconds(30));
        return line == null ? Map.of() : JSON.readValue(line, Map.class);
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
    settings.put(BaselineApp.COMMIT_ON_OUTPUT_CONFIG,
        spec.settings().getOrDefault(KStatefunConfig.COMMIT_ON_OUTPUT_CONFIG,
            String.valueOf(KStatefunConfig.DEFINITION.defaultValues().get(KStatefunConfig.COMMIT_ON_OUTPUT_CONFIG))));
    effectiveSettings.putAll(settings);
    List<String> args = new ArrayList<>(List.of(
        "baseline", "--app", app, "--bootstrap", env.bootstrap(), "--in", ingressTopic, "--out", egressTopic,
        "--state-dir", runDir.resolve("state").toString()));
    settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    systemJvm = ChildJvm.start(app + "-baseline", jvmOptions(), Bench.class.getName(), args, env.logDir(),
        ChildJvm.PROTOCOL_PREFIX + "ready", Duration.ofMinutes(3));
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
                  BenchFunctions.registry(egressTopic, 50, 10 * 1024, timersInProcess),
                  FunctionServerOptions.defaults().withHost("127.0.0.1").withShutdownTimeout(Duration.ofSeconds(5)))
              .listen(0);
      url = "http://127.0.0.1:" + functionServerInProcess.port() + "/statefun";
    } else {
      functionsJvm =
          ChildJvm.start(app + "-functions", List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC"), Bench.class.getName(),
              List.of("functions", "--egress-topic", egressTopic), env.logDir(),
              ChildJvm.PROTOCOL_PREFIX + "ready", Duration.ofMinutes(1));
      String port = functionsJvm.readyLine().substring(functionsJvm.readyLine().indexOf("port=") + 5).trim();
      url = "http://127.0.0.1:" + port + "/statefun";
    }
    Path module = runDir.resolve("module.yaml");
    Files.writeString(module, moduleYaml(url), StandardCharsets.UTF_8);

    Map<String, String> settings = baseSettings();
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
      runtimeInProcess = KStatefunRuntime.start(ModuleParser.parse(module), props, inProcessListener);
      if (!runtimeInProcess.awaitRunning(Duration.ofMinutes(3))) {
        throw new IllegalStateException("runtime did not reach RUNNING: " + runtimeInProcess.streams().state());
      }
      return;
    }
    List<String> args = new ArrayList<>(List.of(
        "runtime", "--module", module.toString(), "--app", app, "--bootstrap", env.bootstrap(),
        "--state-dir", runDir.resolve("state").toString()));
    settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    systemJvm = ChildJvm.start(app + "-runtime", jvmOptions(), Bench.class.getName(), args, env.logDir(),
        ChildJvm.PROTOCOL_PREFIX + "ready", Duration.ofMinutes(3));
  }

  private List<String> jvmOptions() {
    List<String> opts = new ArrayList<>(env.options().runtimeJvm());
    if (spec.jfr()) {
      opts.add("-XX:StartFlightRecording=filename=" + env.logDir().resolve(app + ".jfr") + ",settings=profile,dumponexit=true");
    }
    return opts;
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
    if (systemJvm != null) {
      systemJvm.close();
    }
    if (runtimeInProcess != null) {
      runtimeInProcess.close(Duration.ofSeconds(30));
    }
    if (functionsJvm != null) {
      functionsJvm.close();
    }
    if (functionServerInProcess != null) {
      functionServerInProcess.close();
      timersInProcess.shutdownNow();
    }
    if (!env.options().attachRuntime() || spec.workload() == Workload.BASELINE) {
      env.deleteTopics(List.of(app + "-"));
    }
    try {
      Environment.deleteRecursively(runDir.resolve("state"));
    } catch (Exception e) {
      Bench.log("could not delete " + runDir + ": " + e);
    }
  }
}
