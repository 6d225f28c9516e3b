package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.io.BufferedReader;
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
 * The main programs of the JVMs the driver starts and keeps for all runs of an invocation (so that
 * their code is compiled once, as in a long-running deployment): a function server, a host of
 * kstatefun runtimes and a host of baseline applications. Each prints {@code BENCH ready ...} once
 * it serves and then reads commands from standard input, answering each with one {@code BENCH ...}
 * line; it exits on {@code exit} or when standard input closes.
 *
 * <pre>
 * functions host:  egress TOPIC                       the topic the counters emit to from now on
 * runtime host:    start MODULE APP BOOTSTRAP STATE_DIR [KEY=VALUE...]   (tab-separated)
 * baseline host:   start IN OUT APP BOOTSTRAP STATE_DIR [KEY=VALUE...]   (tab-separated)
 * both hosts:      stop                               closes the running instance
 * all:             stats | gcstats                    JVM (and instance) statistics as JSON
 * </pre>
 */
final class Children {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Children() {}

  /** {@code functions [--slow-ms 50] [--state-bytes 10240] [--workers N] [--port 0]}. */
  static int functions(long slowMs, int stateBytes, int workers, int port) throws Exception {
    ScheduledExecutorService timers = BenchFunctions.timers();
    java.util.concurrent.atomic.AtomicReference<String> egress =
        new java.util.concurrent.atomic.AtomicReference<>("unset");
    FunctionRegistry registry = BenchFunctions.registry(egress::get, slowMs, stateBytes, timers);
    FunctionServer server =
        new FunctionServer(
                registry,
                FunctionServerOptions.defaults()
                    .withHost("127.0.0.1")
                    .withWorkerThreads(workers)
                    .withShutdownTimeout(Duration.ofSeconds(5)))
            .listen(port);
    System.out.println(ChildJvm.PROTOCOL_PREFIX + "ready functions port=" + server.port());
    serve(
        (command, fields) -> {
          if (command.equals("egress")) {
            egress.set(fields.get(1));
            return "ok";
          }
          return null;
        },
        () -> jvmStats(Map.of()));
    server.close();
    timers.shutdownNow();
    return 0;
  }

  /** A runtime or baseline instance the host runs, with its statistics. */
  private interface Instance {
    Map<String, Object> stats();

    void close();
  }

  /** {@code runtime-host}: starts and stops kstatefun runtime instances on command. */
  static int runtimeHost() throws Exception {
    return host(
        "runtime",
        f -> {
          Map<String, Object> props = new LinkedHashMap<>();
          props.put("application.id", f.get(2));
          props.put("bootstrap.servers", f.get(3));
          props.put("state.dir", f.get(4));
          props.putAll(settings(f.subList(5, f.size())));
          CountingListener listener = new CountingListener();
          KStatefunRuntime runtime =
              KStatefunRuntime.start(ModuleParser.parse(Path.of(f.get(1))), props, listener);
          if (!runtime.awaitRunning(Duration.ofMinutes(3))) {
            String state = runtime.streams().state().toString();
            runtime.close(Duration.ofSeconds(10));
            throw new IllegalStateException("runtime did not reach RUNNING: " + state);
          }
          return new Instance() {
            @Override
            public Map<String, Object> stats() {
              Map<String, Object> m = new LinkedHashMap<>(listener.snapshot());
              m.putAll(streamsMetrics(runtime.streams()));
              m.put("streams_state", runtime.streams().state().toString());
              return m;
            }

            @Override
            public void close() {
              runtime.close(Duration.ofSeconds(30));
            }
          };
        });
  }

  /** {@code baseline-host}: starts and stops baseline applications on command. */
  static int baselineHost() throws Exception {
    return host(
        "baseline",
        f -> {
          Map<String, Object> props = new LinkedHashMap<>();
          props.put("application.id", f.get(3));
          props.put("bootstrap.servers", f.get(4));
          props.put("state.dir", f.get(5));
          props.putAll(settings(f.subList(6, f.size())));
          KafkaStreams streams = BaselineApp.start(f.get(1), f.get(2), props);
          long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
          while (streams.state() != KafkaStreams.State.RUNNING
              && streams.state() != KafkaStreams.State.ERROR
              && System.nanoTime() < deadline) {
            Thread.sleep(20);
          }
          if (streams.state() != KafkaStreams.State.RUNNING) {
            String state = streams.state().toString();
            streams.close(Duration.ofSeconds(10));
            throw new IllegalStateException("baseline did not reach RUNNING: " + state);
          }
          return new Instance() {
            @Override
            public Map<String, Object> stats() {
              Map<String, Object> m = new LinkedHashMap<>(streamsMetrics(streams));
              m.put("streams_state", streams.state().toString());
              return m;
            }

            @Override
            public void close() {
              streams.close(Duration.ofSeconds(30));
            }
          };
        });
  }

  private interface Starter {
    Instance start(List<String> fields) throws Exception;
  }

  private static int host(String kind, Starter starter) throws Exception {
    Instance[] current = new Instance[1];
    System.out.println(ChildJvm.PROTOCOL_PREFIX + "ready " + kind + "-host");
    serve(
        (command, fields) -> {
          switch (command) {
            case "start" -> {
              if (current[0] != null) {
                return "failed an instance is running";
              }
              try {
                current[0] = starter.start(fields);
                return "ready " + kind;
              } catch (Exception | LinkageError e) {
                e.printStackTrace();
                return "failed " + e;
              }
            }
            case "stop" -> {
              if (current[0] != null) {
                current[0].close();
                current[0] = null;
              }
              return "stopped";
            }
            default -> {
              return null;
            }
          }
        },
        () -> jvmStats(current[0] == null ? Map.of() : current[0].stats()));
    if (current[0] != null) {
      current[0].close();
    }
    return 0;
  }

  private static Map<String, String> settings(List<String> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : pairs) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        out.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return out;
  }

  private interface Handler {
    /** Handles a command; returns the reply (without prefix) or null if unknown. */
    String handle(String command, List<String> fields) throws Exception;
  }

  /** Answers commands until {@code exit} or end of input. */
  private static void serve(Handler handler, Supplier<Map<String, Object>> stats) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      List<String> fields = List.of(line.strip().split("\t"));
      String command = fields.get(0);
      if (command.equals("exit")) {
        break;
      }
      String reply;
      if (command.equals("stats") || command.equals("gcstats")) {
        if (command.equals("gcstats")) {
          System.gc();
          System.gc();
        }
        reply = JSON.writeValueAsString(stats.get());
      } else {
        reply = handler.handle(command, fields);
        if (reply == null) {
          reply = "failed unknown command '" + command + "'";
        }
      }
      System.out.println(ChildJvm.PROTOCOL_PREFIX + reply);
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
        List.of(
            "commit-total",
            "poll-total",
            "process-total",
            "punctuate-total",
            "txn-commit-time-ns-total",
            "record-send-total",
            "request-total");
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
          && (n.name().equals("txn-commit-time-ns-total")
              || n.name().equals("record-send-total")
              || n.name().equals("request-total"))
          && n.tags().getOrDefault("client-id", "").contains("StreamThread")) {
        totals.merge(key, number.doubleValue(), Double::sum);
      } else if (n.group().equals("stream-thread-metrics")
          && n.name().equals("commit-latency-avg")) {
        commitLatencySum += number.doubleValue();
        commitLatencyCount++;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    totals.forEach(
        (k, v) ->
            out.put(
                k.substring(k.indexOf(':') + 1).replace('-', '_')
                    + (k.startsWith("producer") ? "_producer" : ""),
                Math.round(v)));
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
    private final LongAdder sameThread = new LongAdder();
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
    public void messageDeliveredSameThread(FunctionType target) {
      sameThread.increment();
    }

    @Override
    public void deadLettered(
        FunctionType type, io.kstatefun.runtime.DeadLetterReason reason, int count) {
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
      // Of routed_remote: delivered on the sender's stream thread, and through the loopback topic.
      m.put("routed_same_thread", sameThread.sum());
      m.put("routed_loopback", remote.sum() - sameThread.sum());
      m.put("http_attempts", attempts.sum());
      m.put("http_attempt_ms_total", attemptNanos.sum() / 1_000_000);
      m.put("http_failed", failedAttempts.sum());
      m.put("dead_lettered", deadLettered.sum());
      return m;
    }
  }
}
