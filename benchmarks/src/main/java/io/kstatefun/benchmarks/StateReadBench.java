package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.sdk.FunctionRegistry;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code state-read}: latency of HTTP API state reads ({@code GET /state/bench/counter/{id}}) at a
 * fixed rate, open loop (latency from each read's intended start time), in three modes: {@code
 * local} (every read sent to the instance that owns the address), {@code proxied} (every read sent
 * to the other instance, which proxies once) and {@code committed} (local, with {@code
 * consistency=committed}: the answer waits for the owner's next commit).
 *
 * <p>Everything runs in this JVM: a broker, the benchmark function server and two runtime
 * instances, so that the proxy hop is a real HTTP hop between two API listeners over loopback. One
 * JSON line per mode on standard output.
 */
@Command(
    name = "state-read",
    sortOptions = false,
    description =
        "State reads through the HTTP API: local, proxied and committed reads at a fixed rate"
            + " against two in-process runtime instances; one JSON line per mode.")
final class StateReadBench implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--keys",
      paramLabel = "N",
      defaultValue = "64",
      description = "Addresses with state. Default: ${DEFAULT-VALUE}.")
  int keys;

  @Option(
      names = "--rate",
      paramLabel = "R",
      defaultValue = "200",
      description = "Reads per second. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--duration",
      paramLabel = "S",
      defaultValue = "20",
      description = "Measured seconds per mode. Default: ${DEFAULT-VALUE}.")
  int duration;

  @Option(
      names = "--warmup",
      paramLabel = "S",
      defaultValue = "10",
      description = "Unmeasured seconds before each mode. Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(
      names = "--modes",
      paramLabel = "M,...",
      defaultValue = "local,proxied,committed",
      split = ",",
      description = "Default: ${DEFAULT-VALUE}.")
  List<String> modes;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description = "State directories and module. Default: a new temporary directory.")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    Path work = workDir != null ? workDir : Files.createTempDirectory("kstatefun-state-read");
    Files.createDirectories(work);
    int partitions = 8;
    ScheduledExecutorService timers = BenchFunctions.timers();
    Bench.log("state-read: starting a broker, the function server and two runtime instances");
    try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start()) {
      kafka.createTopics(Map.of("state-read-in", partitions, "state-read-out", 1));
      FunctionRegistry registry = BenchFunctions.registry(() -> "state-read-out", 0, 0, timers);
      FunctionServer functions =
          new FunctionServer(registry, FunctionServerOptions.defaults().withHost("127.0.0.1"))
              .listen(0);
      Path module = work.resolve("module.yaml");
      Files.writeString(module, module(kafka.bootstrapServers(), functions.port()));
      List<KStatefunRuntime> runtimes = new ArrayList<>();
      try {
        for (String name : List.of("a", "b")) {
          Map<String, Object> props = new LinkedHashMap<>();
          props.put("application.id", "state-read");
          props.put("bootstrap.servers", kafka.bootstrapServers());
          props.put("state.dir", work.resolve("state-" + name).toString());
          props.put("kstatefun.api.port", 0);
          props.put("kstatefun.api.advertised.host", "127.0.0.1");
          runtimes.add(KStatefunRuntime.start(ModuleParser.parse(module), props));
        }
        for (KStatefunRuntime r : runtimes) {
          if (!r.awaitRunning(Duration.ofMinutes(3))) {
            throw new IllegalStateException("runtime did not reach RUNNING");
          }
        }
        awaitSplit(runtimes, partitions);
        load(kafka.bootstrapServers(), runtimes, partitions);
        for (String mode : modes) {
          Map<String, Object> result = measure(mode, runtimes, partitions);
          System.out.println(JSON.writeValueAsString(result));
        }
      } finally {
        for (KStatefunRuntime r : runtimes) {
          r.close(Duration.ofSeconds(20));
        }
        functions.close();
        timers.shutdownNow();
      }
    }
    return 0;
  }

  private static void awaitSplit(List<KStatefunRuntime> runtimes, int partitions)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline) {
      int a = runtimes.get(0).tasks().partitions().size();
      int b = runtimes.get(1).tasks().partitions().size();
      if (a > 0 && b > 0 && a + b == partitions) {
        Bench.log("state-read: partitions split " + a + "/" + b);
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the two instances did not split the partitions");
  }

  private String id(int k) {
    return "key-" + k;
  }

  /** One message per key, then waits until every key's state is readable. */
  private void load(String bootstrap, List<KStatefunRuntime> runtimes, int partitions)
      throws Exception {
    Map<String, Object> p =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int k = 0; k < keys; k++) {
        producer.send(
            new ProducerRecord<>(
                "state-read-in",
                id(k).getBytes(StandardCharsets.UTF_8),
                Payload.encode(k, System.nanoTime(), "")));
      }
    }
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    for (int k = 0; k < keys; k++) {
      String uri = uri(runtimes, partitions, id(k), true, false);
      while (true) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"count\"")) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no state for " + id(k) + ": " + r.statusCode());
        }
        Thread.sleep(100);
      }
    }
    Bench.log("state-read: " + keys + " keys have state");
  }

  private static String uri(
      List<KStatefunRuntime> runtimes,
      int partitions,
      String id,
      boolean local,
      boolean committed) {
    int partition = AddressPartitioner.partition(id, partitions);
    boolean onA = runtimes.get(0).tasks().partitions().contains(partition);
    KStatefunRuntime target = runtimes.get(onA == local ? 0 : 1);
    return "http://127.0.0.1:"
        + target.apiPort()
        + "/state/bench/counter/"
        + id
        + (committed ? "?consistency=committed" : "");
  }

  private Map<String, Object> measure(String mode, List<KStatefunRuntime> runtimes, int partitions)
      throws Exception {
    if (!List.of("local", "proxied", "committed").contains(mode)) {
      throw new IllegalArgumentException("unknown mode " + mode);
    }
    String[] uris = new String[keys];
    for (int k = 0; k < keys; k++) {
      uris[k] = uri(runtimes, partitions, id(k), !mode.equals("proxied"), mode.equals("committed"));
    }
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    Bench.log("state-read: " + mode + " warm-up " + warmup + " s");
    run(http, uris, warmup, null);
    Bench.log("state-read: " + mode + " measuring " + duration + " s at " + rate + "/s");
    long[] latencies = new long[(int) Math.ceil(rate * duration) + 1];
    int[] outcome = run(http, uris, duration, latencies);
    int n = outcome[0];
    long[] done = Arrays.copyOf(latencies, n);
    Arrays.sort(done);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("workload", "state-read");
    r.put("mode", mode);
    r.put("keys", keys);
    r.put("rate", rate);
    r.put("durationS", duration);
    r.put("reads", n);
    r.put("errors", outcome[1]);
    r.put("p50Ms", ms(done, 0.50));
    r.put("p90Ms", ms(done, 0.90));
    r.put("p99Ms", ms(done, 0.99));
    r.put("maxMs", done.length == 0 ? 0 : round(done[done.length - 1] / 1e6));
    return r;
  }

  /**
   * Sends reads at {@link #rate} for {@code seconds}, each timed from its intended start. Returns
   * {answered, errors}; latencies of 200 answers go to {@code into} (if not null).
   */
  private int[] run(HttpClient http, String[] uris, int seconds, long[] into)
      throws InterruptedException {
    long intervalNanos = (long) (1e9 / rate);
    int total = (int) (rate * seconds);
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch finished = new CountDownLatch(total);
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long intended = start + i * intervalNanos;
      long wait = intended - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(uris[i % uris.length]))
              .timeout(Duration.ofSeconds(30))
              .build();
      http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
          .whenComplete(
              (resp, error) -> {
                long latency = System.nanoTime() - intended;
                if (error != null || resp.statusCode() != 200) {
                  errors.incrementAndGet();
                } else {
                  int slot = answered.getAndIncrement();
                  if (into != null && slot < into.length) {
                    into[slot] = latency;
                  }
                }
                finished.countDown();
              });
    }
    finished.await(60, TimeUnit.SECONDS);
    return new int[] {
      Math.min(answered.get(), into == null ? answered.get() : into.length), errors.get()
    };
  }

  private static double ms(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return round(sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String module(String bootstrap, int functionsPort) {
    return String.join(
        "\n",
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: bench/*",
        "  urlPathTemplate: http://127.0.0.1:" + functionsPort + "/statefun",
        "---",
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: bench/in",
        "  address: " + bootstrap,
        "  consumerGroupId: state-read",
        "  startupPosition:",
        "    type: earliest",
        "  topics:",
        "    - topic: state-read-in",
        "      valueType: " + BenchFunctions.PAYLOAD_TYPE,
        "      targets:",
        "        - bench/counter",
        "---",
        "kind: io.statefun.kafka.v1/egress",
        "spec:",
        "  id: " + BenchFunctions.EGRESS.namespace() + "/" + BenchFunctions.EGRESS.name(),
        "  address: " + bootstrap,
        "  deliverySemantic:",
        "    type: exactly-once",
        "    transactionTimeout: 15min",
        "");
  }
}
