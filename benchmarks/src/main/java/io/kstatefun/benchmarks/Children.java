package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.topology.RuntimeListener;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The main programs of the JVMs the driver starts: a function server, a kstatefun runtime and the
 * baseline Kafka Streams application. Each prints {@code BENCH ready ...} once it serves, answers
 * {@code stats} / {@code gcstats} on standard input with a {@code BENCH {json}} line, and stops
 * cleanly on {@code stop} or when standard input closes.
 */
final class Children {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Children() {}

  /** {@code functions --egress-topic T [--slow-ms 50] [--state-bytes 10240] [--workers N]}. */
  static int functions(Args args) throws Exception {
    String egress = args.required("--egress-topic");
    long slowMs = args.longValue("--slow-ms", 50);
    int stateBytes = (int) args.longValue("--state-bytes", 10 * 1024);
    int workers = (int) args.longValue("--workers", 20);
    ScheduledExecutorService timers = BenchFunctions.timers();
    FunctionRegistry registry = BenchFunctions.registry(egress, slowMs, stateBytes, timers);
    FunctionServer server =
        new FunctionServer(
                registry,
                FunctionServerOptions.defaults()
                    .withHost("127.0.0.1")
                    .withWorkerThreads(workers)
                    .withShutdownTimeout(Duration.ofSeconds(5)))
            .listen((int) args.longValue("--port", 0));
    System.out.println(ChildJvm.PROTOCOL_PREFIX + "ready functions port=" + server.port());
    serveStdin(() -> jvmStats(Map.of()));
    server.close();
    timers.shutdownNow();
    return 0;
  }

  /** {@code runtime --module F --app A --bootstrap B --state-dir D [--set k=v]...}. */
  static int runtime(Args args) throws Exception {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("application.id", args.required("--app"));
    props.put("bootstrap.servers", args.required("--bootstrap"));
    props.put("state.dir", args.required("--state-dir"));
    props.putAll(args.settings());
    CountingListener listener = new CountingListener();
    KStatefunRuntime runtime =
        KStatefunRuntime.start(ModuleParser.parse(Path.of(args.required("--module"))), props, listener);
    if (!runtime.awaitRunning(Duration.ofMinutes(3))) {
      System.out.println("runtime did not reach RUNNING: " + runtime.streams().state());
      runtime.close(Duration.ofSeconds(10));
      return 1;
    }
    System.out.println(ChildJvm.PROTOCOL_PREFIX + "ready runtime partitions=" + runtime.partitions());
    serveStdin(
        () -> {
          Map<String, Object> extra = new LinkedHashMap<>(listener.snapshot());
          extra.putAll(streamsMetrics(runtime.streams()));
          extra.put("streams_state", runtime.streams().state().toString());
          return jvmStats(extra);
        });
    runtime.close(Duration.ofSeconds(30));
    return 0;
  }

  /** {@code baseline --app A --bootstrap B --in T --out T --state-dir D [--set k=v]...}. */
  static int baseline(Args args) throws Exception {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("application.id", args.required("--app"));
    props.put("bootstrap.servers", args.required("--bootstrap"));
    props.put("state.dir", args.required("--state-dir"));
    props.putAll(args.settings());
    KafkaStreams streams = BaselineApp.start(args.required("--in"), args.required("--out"), props);
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
      if (streams.state() == KafkaStreams.State.ERROR) {
        break;
      }
      Thread.sleep(20);
    }
    if (streams.state() != KafkaStreams.State.RUNNING) {
      System.out.println("baseline did not reach RUNNING: " + streams.state());
      streams.close(Duration.ofSeconds(10));
      return 1;
    }
    System.out.println(ChildJvm.PROTOCOL_PREFIX + "ready baseline");
    serveStdin(
        () -> {
          Map<String, Object> extra = new LinkedHashMap<>(streamsMetrics(streams));
          extra.put("streams_state", streams.state().toString());
          return jvmStats(extra);
        });
    streams.close(Duration.ofSeconds(30));
    return 0;
  }

  /** Answers stats requests until {@code stop} or end of input. */
  private static void serveStdin(Supplier<Map<String, Object>> stats) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      line = line.trim();
      if (line.equals("stop")) {
        break;
      }
      if (line.equals("gcstats")) {
        System.gc();
        System.gc();
      }
      if (line.equals("stats") || line.equals("gcstats")) {
        System.out.println(ChildJvm.PROTOCOL_PREFIX + JSON.writeValueAsString(stats.get()));
      }
    }
  }

  private static Map<String, Object> jvmStats(Map<String, Object> extra) {
    Map<String, Object> m = new LinkedHashMap<>();
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    m.put("heap_used_mb", round(heap.getUsed() / 1048576.0));
    m.put("heap_committed_mb", round(heap.getCommitted() / 1048576.0));
    m.put("heap_max_mb", round(heap.getMax() / 1048576.0));
    long gcCount = 0;
    long gcMs = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcCount += Math.max(0, gc.getCollectionCount());
      gcMs += Math.max(0, gc.getCollectionTime());
    }
    m.put("gc_count", gcCount);
    m.put("gc_ms", gcMs);
    m.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    m.putAll(extra);
    return m;
  }

  /** Thread and producer metrics of a Kafka Streams instance, summed over threads and clients. */
  static Map<String, Object> streamsMetrics(KafkaStreams streams) {
    List<String> sums =
        List.of("commit-total", "poll-total", "process-total", "punctuate-total", "txn-commit-time-ns-total",
            "record-send-total", "request-total");
    Map<String, Double> totals = new LinkedHashMap<>();
    double commitLatencySum = 0;
    int commitLatencyCount = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName n = e.getKey();
      Object v = e.getValue().metricValue();
      if (!(v instanceof Number number) || Double.isNaN(number.doubleValue())) {
        continue;
      }
      String key = n.group() + ":" + n.name();
      if (n.group().equals("stream-thread-metrics") && sums.contains(n.name())) {
        totals.merge(key, number.doubleValue(), Double::sum);
      } else if (n.group().equals("producer-metrics")
          && (n.name().equals("txn-commit-time-ns-total") || n.name().equals("record-send-total")
              || n.name().equals("request-total"))
          && n.tags().getOrDefault("client-id", "").contains("StreamThread")) {
        totals.merge(key, number.doubleValue(), Double::sum);
      } else if (n.group().equals("stream-thread-metrics") && n.name().equals("commit-latency-avg")) {
        commitLatencySum += number.doubleValue();
        commitLatencyCount++;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    totals.forEach((k, v) -> out.put(k.substring(k.indexOf(':') + 1).replace('-', '_') + (k.startsWith("producer") ? "_producer" : ""), Math.round(v)));
    if (commitLatencyCount > 0) {
      out.put("commit_latency_avg_ms", round(commitLatencySum / commitLatencyCount));
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** Counts what the runtime reports: batches, routing, HTTP attempts. */
  static final class CountingListener implements RuntimeListener {
    private final LongAdder batches = new LongAdder();
    private final LongAdder batchMessages = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder local = new LongAdder();
    private final LongAdder remote = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder attemptNanos = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();

    @Override
    public void batchSent(FunctionType type, int size, boolean retry) {
      batches.increment();
      batchMessages.add(size);
      if (retry) {
        retries.increment();
      }
    }

    @Override
    public void messageRouted(FunctionType target, boolean isLocal) {
      (isLocal ? local : remote).increment();
    }

    @Override
    public void deadLettered(FunctionType type, io.kstatefun.runtime.dispatch.DeadLetterReason reason, int count) {
      deadLettered.add(count);
    }

    @Override
    public void attempt(FunctionType type, long nanos, boolean ok) {
      attempts.increment();
      attemptNanos.add(nanos);
      if (!ok) {
        failedAttempts.increment();
      }
    }

    Map<String, Object> snapshot() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("batches", batches.sum());
      m.put("batch_messages", batchMessages.sum());
      m.put("batch_retries", retries.sum());
      m.put("routed_local", local.sum());
      m.put("routed_remote", remote.sum());
      m.put("http_attempts", attempts.sum());
      m.put("http_attempt_ms_total", attemptNanos.sum() / 1_000_000);
      m.put("http_failed", failedAttempts.sum());
      m.put("dead_lettered", deadLettered.sum());
      return m;
    }
  }
}
