package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code /call} benchmark of the HTTP API: open-loop calls to {@code bench/call-counter} (a
 * 1-hop counter that replies its count to the caller) over {@code keys} ids, at a fixed rate;
 * latency is measured from each call's intended send time, so a stalled system is charged for the
 * calls it delayed (no coordinated omission). Broker, function server, runtime and driver run in
 * this JVM unless a broker is given.
 */
final class CallBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One run's parameters.
   *
   * @param rates calls per second, one run each (in order)
   * @param durationS measured seconds per rate
   * @param warmupS seconds of calls before measuring (per rate)
   * @param keys distinct ids called
   * @param partitions address partitions
   * @param bootstrap a broker to use, or null to start one
   * @param settings extra runtime settings
   */
  record Options(
      List<Integer> rates,
      int durationS,
      int warmupS,
      int keys,
      int partitions,
      String bootstrap,
      Map<String, String> settings) {}

  private CallBench() {}

  /** Runs the rates; prints one JSON line per rate, then a summary line. */
  static void run(Options options, Path workDir) throws Exception {
    LocalKafkaBroker broker = null;
    ScheduledExecutorService timers = BenchFunctions.timers();
    String app = "call-bench-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      String bootstrap = options.bootstrap();
      if (bootstrap == null) {
        broker = LocalKafkaBroker.builder().logDir(workDir.resolve("kafka")).start();
        bootstrap = broker.bootstrapServers();
      }
      try (FunctionServer functions =
          new FunctionServer(
                  BenchFunctions.registry(() -> app + "-unused", 50, 1024, timers),
                  FunctionServerOptions.defaults()
                      .withHost("127.0.0.1")
                      .withShutdownTimeout(Duration.ofSeconds(5)))
              .listen(0)) {
        Path module = workDir.resolve("call-module.yaml");
        Files.writeString(
            module,
            String.join(
                "\n",
                "kind: io.statefun.endpoints.v2/http",
                "spec:",
                "  functions: bench/*",
                "  urlPathTemplate: http://127.0.0.1:" + functions.port() + "/statefun",
                "  transport:",
                "    call: 30s",
                ""),
            StandardCharsets.UTF_8);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("application.id", app);
        props.put("bootstrap.servers", bootstrap);
        props.put("state.dir", workDir.resolve("state-" + app).toString());
        props.put("kstatefun.partitions", options.partitions());
        props.put("kstatefun.api.port", 0);
        props.put("kstatefun.api.host", "127.0.0.1");
        props.putAll(options.settings());
        try (KStatefunRuntime runtime = KStatefunRuntime.start(ModuleParser.parse(module), props)) {
          if (!runtime.awaitRunning(Duration.ofMinutes(3))) {
            throw new IllegalStateException("the runtime did not start");
          }
          HttpClient http =
              HttpClient.newBuilder()
                  .version(HttpClient.Version.HTTP_1_1)
                  .connectTimeout(Duration.ofSeconds(5))
                  .build();
          String base = "http://127.0.0.1:" + runtime.apiPort() + "/call/bench/call-counter/";
          int best = 0;
          for (int rate : options.rates()) {
            Map<String, Object> result = runRate(http, base, rate, options);
            System.out.println(JSON.writeValueAsString(result));
            if ((double) result.get("p99_ms") <= 1000 && (long) result.get("failed") == 0) {
              best = Math.max(best, rate);
            }
          }
          Map<String, Object> summary = new LinkedHashMap<>();
          summary.put("workload", "call");
          summary.put("max_rate_with_p99_le_1s", best);
          summary.put("rates", options.rates());
          summary.put("note", "broker, function server, runtime and driver in one JVM");
          System.out.println(JSON.writeValueAsString(summary));
        }
      }
    } finally {
      timers.shutdownNow();
      if (broker != null) {
        broker.close();
      }
    }
  }

  private static Map<String, Object> runRate(
      HttpClient http, String base, int rate, Options options) throws Exception {
    long period = 1_000_000_000L / rate;
    int warmup = rate * options.warmupS();
    int total = warmup + rate * options.durationS();
    LatencyRecorder latencies = new LatencyRecorder();
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    String run = UUID.randomUUID().toString().substring(0, 8);
    long start = System.nanoTime() + 100_000_000L;
    long measureFrom = start + warmup * period;
    for (int i = 0; i < total; i++) {
      long intended = start + i * period;
      long wait = intended - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(base + "k" + (i % options.keys())))
              .timeout(Duration.ofSeconds(60))
              .header("Statefun-Type", "io.statefun.types/long")
              .header("Idempotency-Key", run + "-" + i)
              .POST(HttpRequest.BodyPublishers.ofString("1"))
              .build();
      pending.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .handle(
                  (response, error) -> {
                    long now = System.nanoTime();
                    int status = error == null ? response.statusCode() : -1;
                    synchronized (statuses) {
                      statuses.merge(status, 1, Integer::sum);
                    }
                    if (status == 200) {
                      latencies.record(intended, now);
                    }
                    return null;
                  }));
    }
    long sentAt = System.nanoTime();
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    LatencyRecorder.Window w = latencies.window(measureFrom, Long.MAX_VALUE);
    long failed = 0;
    for (Map.Entry<Integer, Integer> e : statuses.entrySet()) {
      if (e.getKey() != 200) {
        failed += e.getValue();
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("workload", "call");
    out.put("rate", rate);
    out.put("keys", options.keys());
    out.put("measured_s", options.durationS());
    out.put("warmup_s", options.warmupS());
    out.put("offered_rate", total * 1e9 / (sentAt - start));
    out.put("measured_calls", w.count());
    out.put("failed", failed);
    out.put("statuses", statuses);
    out.put("p50_ms", w.percentileMs(0.50));
    out.put("p90_ms", w.percentileMs(0.90));
    out.put("p99_ms", w.percentileMs(0.99));
    out.put("max_ms", w.maxMs());
    out.put("mean_ms", w.meanMs());
    return out;
  }
}
