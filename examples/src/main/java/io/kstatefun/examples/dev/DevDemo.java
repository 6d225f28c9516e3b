package io.kstatefun.examples.dev;

import io.kstatefun.examples.billing.Billing;
import io.kstatefun.examples.billing.Payment;
import io.kstatefun.examples.billing.Subscription;
import io.kstatefun.examples.cart.Cart;
import io.kstatefun.examples.cart.Inventory;
import io.kstatefun.examples.cart.ShoppingCart;
import io.kstatefun.examples.greeter.Greeter;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The dev demo: a local Kafka broker, the example functions (kstatefun Java SDK) on an HTTP server,
 * a kstatefun runtime running the examples' module.yaml files, a generator of sample events, and a
 * live view of the egress topics (read_committed) and the dead-letter topic, all in this process.
 *
 * <p>Threading: {@link #start()} and {@link #stop()} are synchronized (a Ctrl-C during start-up
 * waits for it, then stops everything). The generator and the progress line run on one scheduler
 * thread; the view owns its consumer on its own thread; counters are atomic.
 */
public final class DevDemo implements AutoCloseable {

  /** The application id of the demo's runtime. */
  public static final String APPLICATION_ID = "kstatefun-dev";

  static final int PARTITIONS = 4;
  static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);
  static final long SEED = 42;

  private static final Map<String, List<String>> INGRESS_TOPICS =
      Map.of(
          "greeter", List.of(Greeter.NAMES_TOPIC),
          "billing", List.of(Billing.COMMANDS_TOPIC),
          "cart", List.of(ShoppingCart.COMMANDS_TOPIC, ShoppingCart.INVENTORY_TOPIC));
  private static final Map<String, String> EGRESS_TOPIC =
      Map.of(
          "greeter",
          Greeter.GREETINGS_TOPIC,
          "billing",
          Billing.EVENTS_TOPIC,
          "cart",
          ShoppingCart.EVENTS_TOPIC);

  private final DevOptions options;
  private final PrintStream out;
  private final long referenceNanos;
  private final Path workDir;
  private final List<String> egressTopics = new ArrayList<>();
  private final List<String> ingressTopics = new ArrayList<>();
  private final int labelWidth;

  private final AtomicLong sent = new AtomicLong();
  private final Map<String, LongAdder> results = new ConcurrentHashMap<>();
  private final LongAdder deadLetters = new LongAdder();
  private final LongAdder functionCalls = new LongAdder();
  private volatile long firstResultNanos;
  private volatile long readyNanos;
  private final CountDownLatch closed = new CountDownLatch(1);

  private LocalKafkaBroker kafka;
  private FunctionServer functions;
  private KStatefunRuntime runtime;
  private KafkaProducer<String, String> producer;
  private ScheduledExecutorService scheduler;
  private Thread viewThread;
  private KafkaConsumer<byte[], byte[]> viewConsumer;
  private volatile boolean stopping;
  private DevSummary summary;

  /**
   * A demo, not started yet.
   *
   * @param referenceNanos the {@link System#nanoTime()} that "startup took" and "first result
   *     after" are measured from (the JVM's start for {@code bin/kstatefun dev})
   * @param workDir a directory for the runtime's state (deleted on close) and anything else kept
   */
  public DevDemo(DevOptions options, PrintStream out, long referenceNanos, Path workDir) {
    this.options = options;
    this.out = out;
    this.referenceNanos = referenceNanos;
    this.workDir = workDir;
    for (String example : options.examples()) {
      ingressTopics.addAll(INGRESS_TOPICS.get(example));
      egressTopics.add(EGRESS_TOPIC.get(example));
      results.put(EGRESS_TOPIC.get(example), new LongAdder());
    }
    this.labelWidth =
        Stream.concat(
                ingressTopics.stream().map(t -> "[ingress " + t + "]"),
                egressTopics.stream().map(t -> "[egress " + t + "]"))
            .mapToInt(String::length)
            .max()
            .orElse(0);
  }

  /** Starts broker, functions, runtime, view and generator; returns once events are flowing. */
  public synchronized void start() throws InterruptedException {
    if (stopping) {
      throw new IllegalStateException("the demo was stopped");
    }
    out.println(
        "kstatefun dev: stateful functions on Kafka Streams, all in this process. Ctrl-C stops.");

    long t = System.nanoTime();
    // The function server does not need Kafka: start it meanwhile.
    CompletableFuture<FunctionServer> serverStart =
        CompletableFuture.supplyAsync(
            () ->
                new FunctionServer(
                        registry(), FunctionServerOptions.defaults().withHost("127.0.0.1"))
                    .listen(0));
    step("starting Kafka (single-node KRaft broker, in-process)");
    int port = options.kafkaPort() >= 0 ? options.kafkaPort() : (isFree(9092) ? 9092 : 0);
    try {
      kafka = LocalKafkaBroker.builder().port(port).start();
    } finally {
      if (kafka == null) {
        serverStart.thenAccept(FunctionServer::close);
      }
    }
    Map<String, Integer> topics = new LinkedHashMap<>();
    ingressTopics.forEach(topic -> topics.put(topic, 2));
    egressTopics.forEach(topic -> topics.put(topic, 1));
    kafka.createTopics(topics);
    done(t, kafka.bootstrapServers());

    step("starting the example functions (kstatefun Java SDK, HTTP)");
    try {
      functions = serverStart.join();
    } catch (CompletionException e) {
      throw new IllegalStateException("the function server did not start", e.getCause());
    }
    String functionBaseUrl = "http://127.0.0.1:" + functions.port();
    out.printf("ok, %s %s%n", functionBaseUrl, String.join(", ", options.examples()));

    t = System.nanoTime();
    step("starting the kstatefun runtime");
    List<ModuleSpec> modules = new ArrayList<>();
    for (String example : options.examples()) {
      modules.add(ExampleModule.load(example, kafka.bootstrapServers(), functionBaseUrl));
    }
    Path stateDir = workDir.resolve("state");
    runtime =
        KStatefunRuntime.start(
            ModuleSpec.merge(modules),
            Map.of(
                "application.id",
                APPLICATION_ID,
                "bootstrap.servers",
                kafka.bootstrapServers(),
                "state.dir",
                stateDir.toString(),
                "kstatefun.partitions",
                PARTITIONS),
            new RuntimeListener() {
              @Override
              public void batchSent(FunctionType type, int size, boolean retry) {
                if (!retry) {
                  functionCalls.increment();
                }
              }
            });
    if (!runtime.awaitRunning(Duration.ofSeconds(120))) {
      throw new IllegalStateException(
          "the runtime did not start (state " + runtime.streams().state() + "); see the log");
    }
    done(t, "application " + APPLICATION_ID + ", " + runtime.partitions() + " partitions");

    readyNanos = System.nanoTime();
    out.printf(
        "ready after %.1f s. Module files: %s%n",
        seconds(readyNanos - referenceNanos),
        String.join(
            ", ", options.examples().stream().map(e -> "examples/" + e + "/module.yaml").toList()));
    out.printf(
        "sending %s sample events per second (at most %d) to %s%n",
        format(options.rate()), options.maxEvents(), String.join(", ", ingressTopics));
    if (options.examples().contains("billing")) {
      out.printf(
          "billing: every subscription is charged every %d s by a delayed reminder it sends itself%n",
          Billing.DEMO_BILLING_PERIOD.toSeconds());
    }
    out.println();

    startView();
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            new StringSerializer(),
            new StringSerializer());
    scheduler =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "kstatefun-dev-generator"));
    SampleEvents events = new SampleEvents(options.examples(), SEED);
    long periodMicros = Math.max(1, Math.round(1_000_000 / options.rate()));
    scheduler.scheduleAtFixedRate(() -> sendOne(events), 0, periodMicros, TimeUnit.MICROSECONDS);
    long progressMs = PROGRESS_INTERVAL.toMillis();
    scheduler.scheduleAtFixedRate(this::progress, progressMs, progressMs, TimeUnit.MILLISECONDS);
  }

  /** Waits until {@code duration} passed (forever if null) or the demo was closed. */
  public void awaitEnd(Duration duration) throws InterruptedException {
    if (duration == null) {
      closed.await();
    } else {
      closed.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /**
   * Stops everything (generator, runtime, functions, view, broker), prints and returns the summary.
   * Idempotent.
   */
  public synchronized DevSummary stop() {
    if (summary != null) {
      return summary;
    }
    stopping = true;
    long t = System.nanoTime();
    if (scheduler != null) {
      scheduler.shutdownNow();
      awaitQuietly(scheduler);
    }
    out.println();
    out.println("stopping ...");
    closeQuietly(
        "sample event producer",
        producer == null ? null : () -> producer.close(Duration.ofSeconds(5)));
    closeQuietly("runtime", runtime == null ? null : () -> runtime.close(Duration.ofSeconds(30)));
    closeQuietly("function server", functions);
    if (viewThread != null) {
      viewConsumer.wakeup();
      try {
        viewThread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly("Kafka broker", kafka);
    deleteRecursively(workDir.resolve("state"));
    long now = System.nanoTime();
    Map<String, Long> byTopic = new LinkedHashMap<>();
    egressTopics.forEach(topic -> byTopic.put(topic, results.get(topic).sum()));
    summary =
        new DevSummary(
            readyNanos == 0 ? -1 : seconds(readyNanos - referenceNanos),
            firstResultNanos == 0
                ? OptionalDouble.empty()
                : OptionalDouble.of(seconds(firstResultNanos - referenceNanos)),
            Duration.ofNanos(readyNanos == 0 ? 0 : t - readyNanos),
            sent.get(),
            byTopic,
            deadLetters.sum(),
            functionCalls.sum());
    out.printf("stopped in %.1f s%n", seconds(now - t));
    out.println(describe(summary));
    closed.countDown();
    return summary;
  }

  /** The summary line. */
  static String describe(DevSummary s) {
    StringBuilder b = new StringBuilder("summary: ran ").append(clock(s.ran()));
    b.append(", ")
        .append(s.eventsSent())
        .append(" events sent, ")
        .append(s.results())
        .append(" results (");
    b.append(
        String.join(
            ", ",
            s.resultsByTopic().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .toList()));
    b.append("), ")
        .append(s.deadLetters())
        .append(" dead letters, ")
        .append(s.functionCalls())
        .append(" function calls");
    if (s.startupSeconds() >= 0) {
      b.append(String.format("; ready after %.1f s", s.startupSeconds()));
    }
    s.firstResultSeconds()
        .ifPresent(f -> b.append(String.format(", first result after %.1f s", f)));
    return b.toString();
  }

  private FunctionRegistry registry() {
    FunctionRegistry.Builder registry = FunctionRegistry.builder();
    for (String example : options.examples()) {
      switch (example) {
        case "greeter" -> registry.withFunction(Greeter.SPEC);
        case "billing" ->
            registry
                .withFunction(Subscription.spec(Billing.DEMO_BILLING_PERIOD))
                .withFunction(Payment.SPEC);
        case "cart" -> registry.withFunction(Cart.SPEC).withFunction(Inventory.SPEC);
        default -> throw new IllegalArgumentException("unknown example " + example);
      }
    }
    return registry.build();
  }

  private void sendOne(SampleEvents events) {
    if (stopping || sent.get() >= options.maxEvents()) {
      return;
    }
    try {
      SampleEvents.Event e = events.next();
      producer.send(new ProducerRecord<>(e.topic(), e.key(), e.value()));
      line("[ingress " + e.topic() + "]", e.key(), e.value());
      if (sent.incrementAndGet() == options.maxEvents()) {
        out.println(
            "(sent "
                + options.maxEvents()
                + " sample events, the maximum; results keep coming, Ctrl-C stops)");
      }
    } catch (RuntimeException ex) {
      if (!stopping) {
        out.println("cannot send a sample event: " + ex);
      }
    }
  }

  private void startView() {
    String deadLetterTopic = APPLICATION_ID + "-dead-letters";
    viewConsumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    List<String> watched = new ArrayList<>(egressTopics);
    watched.add(deadLetterTopic);
    for (String topic : watched) {
      viewConsumer
          .partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    viewConsumer.assign(partitions);
    viewConsumer.seekToBeginning(partitions);
    viewThread =
        daemon(
            () -> {
              try {
                while (!stopping) {
                  for (ConsumerRecord<byte[], byte[]> r :
                      viewConsumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(deadLetterTopic)) {
                      deadLetters.increment();
                      out.println(
                          "[dead letter] "
                              + header(r, DeadLetters.REASON)
                              + " at "
                              + header(r, DeadLetters.ADDRESS)
                              + ": "
                              + header(r, DeadLetters.DETAIL));
                    } else {
                      shown(r);
                    }
                  }
                }
              } catch (WakeupException e) {
                // closing
              } catch (RuntimeException e) {
                out.println("the egress view stopped: " + e);
              } finally {
                viewConsumer.close();
              }
            },
            "kstatefun-dev-view");
    viewThread.start();
  }

  private void shown(ConsumerRecord<byte[], byte[]> r) {
    LongAdder count = results.get(r.topic());
    if (count != null) {
      count.increment();
    }
    line("[egress " + r.topic() + "]", utf8(r.key()), utf8(r.value()));
    if (firstResultNanos == 0) {
      firstResultNanos = System.nanoTime();
      out.printf("  (first result after %.1f s)%n", seconds(firstResultNanos - referenceNanos));
    }
  }

  private void progress() {
    if (stopping) {
      return;
    }
    long elapsed = System.nanoTime() - readyNanos;
    long shownResults = results.values().stream().mapToLong(LongAdder::sum).sum();
    String state = runtime.streams().state().toString();
    out.printf(
        "[progress %s] %d events sent, %d results, %d dead letters, %d function calls%s%n",
        clock(Duration.ofNanos(elapsed)),
        sent.get(),
        shownResults,
        deadLetters.sum(),
        functionCalls.sum(),
        state.equals("RUNNING") ? "" : ", runtime " + state);
  }

  private void line(String label, String key, String value) {
    StringBuilder b = new StringBuilder(label);
    while (b.length() < labelWidth) {
      b.append(' ');
    }
    b.append(' ').append(key).append(" -> ").append(display(value));
    out.println(b);
  }

  static String display(String value) {
    if (value == null) {
      return "null";
    }
    String v = value.length() > 200 ? value.substring(0, 200) + "..." : value;
    if (v.startsWith("{") || v.startsWith("[")) {
      return v;
    }
    return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
  }

  private void step(String what) {
    out.print("  " + what + " ... ");
    out.flush();
  }

  private void done(long startNanos, String detail) {
    out.printf("ok, %s (%.1f s)%n", detail, seconds(System.nanoTime() - startNanos));
  }

  private void closeQuietly(String what, AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      out.println("  error while stopping the " + what + ": " + e);
    }
  }

  private static void awaitQuietly(ScheduledExecutorService s) {
    try {
      s.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? "?" : utf8(h.value());
  }

  private static String utf8(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static String clock(Duration d) {
    long s = d.toSeconds();
    return s / 60 + ":" + String.format("%02d", s % 60);
  }

  private static String format(double rate) {
    return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
