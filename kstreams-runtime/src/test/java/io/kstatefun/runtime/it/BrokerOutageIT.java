package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.LogCapture;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.io.KafkaEgressMessage;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.apache.flink.statefun.sdk.java.types.SimpleType;
import org.apache.flink.statefun.sdk.java.types.Type;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runtime whose broker is unreachable for 10 s (stopped and restarted on the same port and log
 * directory) blocks no Vert.x event loop and no timer alarm thread on Kafka, its stream thread
 * never waits in a Kafka client call that kstatefun code made itself, no stream thread is fenced or
 * replaced, and the output continues exactly once afterwards.
 *
 * <p>The outage meets the instance the way it would meet one that was quiet for a while: the
 * doorbell producer has forgotten the doorbell topic's metadata ({@code metadata.max.idle.ms}, 5
 * minutes by default, 5 s here), a call that started before the outage answers during it, and
 * timers fall due during it. The answer writes to an egress topic the instance never wrote to, so
 * its existence is looked up while or right after the broker is away.
 *
 * <p>Threads are sampled every 10 ms during the outage; a sample counts against the runtime when an
 * event-loop or alarm thread is inside a Kafka client, or when the stream thread waits in a Kafka
 * client method called directly from kstatefun code (Kafka Streams' own commits, which wait for the
 * broker, are not kstatefun's doing). Vert.x's blocked-thread checker (warns after 2 s) must stay
 * quiet.
 */
class BrokerOutageIT {

  private static final TypeName FN = TypeName.typeNameFromString("outage/fn");
  private static final TypeName EGRESS = TypeName.typeNameFromString("outage/out");
  private static final Type<String> COMMAND =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString("outage/command"),
          s -> s.getBytes(StandardCharsets.UTF_8),
          b -> new String(b, StandardCharsets.UTF_8));

  private static final long OUTAGE_MS = 10_000;

  /** A call whose request mentions this is answered this late (it spans the outage). */
  private static final String SLOW = "slow-";

  private static final long SLOW_ANSWER_MS = 9_000;

  @Test
  @Timeout(300)
  void shouldBlockNoEventLoopAndFenceNoStreamThreadWhileTheBrokerIsAway(@TempDir Path dir)
      throws Exception {
    int port = freePort();
    int controllerPort = freePort();
    Path logDir = dir.resolve("kafka");
    LocalKafkaBroker kafka = broker(port, controllerPort, logDir);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    String fresh = "fresh-" + suffix;
    String app = "outage-" + suffix;
    kafka.createTopics(Map.of(in, 4, out, 1, fresh, 1));

    try (LogCapture logs = LogCapture.capture();
        FunctionHttpServer functions = new FunctionHttpServer(handler());
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers())) {
      Path module = writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
      Map<String, Object> props = new HashMap<>();
      props.put("application.id", app);
      props.put("bootstrap.servers", kafka.bootstrapServers());
      props.put("state.dir", dir.resolve("state").toString());
      props.put("kstatefun.admin.port", "-1");
      // A quiet producer forgets a topic's metadata after metadata.max.idle.ms (minimum 5 s);
      // metadata.max.age.ms makes it refresh, and so forget, soon after.
      props.put("metadata.max.idle.ms", "5000");
      props.put("metadata.max.age.ms", "1000");

      KStatefunRuntime runtime = KStatefunRuntime.start(ModuleParser.parse(module), props);
      try {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(120))).as("runtime running").isTrue();
        for (int i = 0; i < 8; i++) {
          KafkaIO.send(producer, in, "w-" + i, "emit " + out + " w-" + i);
        }
        producer.flush();
        awaitOutputs(kafka.bootstrapServers(), out, 8);

        // Timers that fall due during the outage, and a call that answers during it.
        long t0 = System.currentTimeMillis();
        for (int i = 0; i < 8; i++) {
          KafkaIO.send(
              producer, in, "t-" + i, "later " + (OUTAGE_MS + 1_000) + " " + out + " t-" + i);
        }
        KafkaIO.send(producer, in, SLOW + "0", "emit " + fresh + " " + SLOW + "0");
        producer.flush();
        int before = functions.requests();
        long deadline = System.currentTimeMillis() + 30_000;
        while (functions.requests() < before + 9 && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        assertThat(functions.requests())
            .as("calls made before the outage")
            .isGreaterThanOrEqualTo(before + 9);
        // Quiet long enough for the doorbell producer to forget the doorbell topic.
        Thread.sleep(Math.max(0, t0 + 7_000 - System.currentTimeMillis()));

        ThreadSampler sampler = new ThreadSampler();
        sampler.start();
        long stopAt = System.currentTimeMillis();
        kafka.close();
        System.out.println(
            "broker stopped " + (System.currentTimeMillis() - stopAt) + " ms after the stop began");
        Thread.sleep(Math.max(0, stopAt + OUTAGE_MS - System.currentTimeMillis()));
        kafka = broker(port, controllerPort, logDir);
        System.out.println(
            "broker back " + (System.currentTimeMillis() - stopAt) + " ms after it stopped");
        Thread.sleep(3_000);
        sampler.stop();

        // Output continues, exactly once.
        Map<String, Integer> outCounts =
            counts(kafka.bootstrapServers(), out, 16, Duration.ofSeconds(90));
        Map<String, Integer> freshCounts =
            counts(kafka.bootstrapServers(), fresh, 1, Duration.ofSeconds(90));
        Map<String, Integer> deadLetters =
            counts(kafka.bootstrapServers(), app + "-dead-letters", 0, Duration.ofSeconds(3));
        System.out.println(
            "outputs: " + outCounts + " " + freshCounts + ", dead letters: " + deadLetters);
        System.out.println(
            "thread samples during the outage: "
                + sampler.samples
                + ", against kstatefun: "
                + sampler.findings);

        List<LogCapture.Event> warnings = logs.events();
        List<LogCapture.Event> blocked =
            warnings.stream()
                .filter(
                    e ->
                        e.logger().contains("BlockedThreadChecker")
                            || e.mentions("has been blocked"))
                .toList();
        List<LogCapture.Event> fenced =
            warnings.stream().filter(BrokerOutageIT::reportsFencing).toList();
        assertThat(sampler.findings)
            .as("samples of threads blocked on Kafka by kstatefun code")
            .isEmpty();
        assertThat(blocked).as("Vert.x blocked-thread warnings").isEmpty();
        assertThat(fenced).as("fenced, migrated or replaced stream threads").isEmpty();
        Map<String, Integer> expectedOut = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
          expectedOut.put("w-" + i, 1);
          expectedOut.put("t-" + i, 1);
        }
        assertThat(outCounts).as("records per key on %s", out).isEqualTo(expectedOut);
        assertThat(freshCounts).as("records per key on %s", fresh).isEqualTo(Map.of(SLOW + "0", 1));
        assertThat(deadLetters).as("dead letters").isEmpty();
      } finally {
        runtime.close(Duration.ofSeconds(30));
      }
    } finally {
      kafka.close();
    }
  }

  /** A client-side report of a fenced producer, a migrated task or a replaced stream thread. */
  private static boolean reportsFencing(LogCapture.Event e) {
    boolean client =
        e.logger().startsWith("org.apache.kafka.streams")
            || e.logger().startsWith("io.kstatefun")
            || e.logger().startsWith("org.apache.kafka.clients");
    return client
        && (e.mentions("ProducerFenced")
            || e.mentions("InvalidProducerEpoch")
            || e.mentions("TaskMigrated")
            || e.mentions("being fenced")
            || e.mentions("Stream thread failed"));
  }

  private static LocalKafkaBroker broker(int port, int controllerPort, Path logDir) {
    return LocalKafkaBroker.builder()
        .port(port)
        .controllerPort(controllerPort)
        .logDir(logDir)
        .start();
  }

  /**
   * {@code emit TOPIC KEY}: an egress record KEY=KEY; {@code later MS TOPIC KEY}: the same, MS
   * later.
   */
  private static Function<byte[], CompletableFuture<byte[]>> handler() {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(FN)
            .withSupplier(
                () ->
                    (context, message) -> {
                      String[] cmd = message.as(COMMAND).split(" ");
                      if (cmd[0].equals("later")) {
                        context.sendAfter(
                            Duration.ofMillis(Long.parseLong(cmd[1])),
                            MessageBuilder.forAddress(FN, context.self().id())
                                .withCustomType(COMMAND, "emit " + cmd[2] + " " + cmd[3])
                                .build());
                      } else {
                        context.send(
                            KafkaEgressMessage.forEgress(EGRESS)
                                .withTopic(cmd[1])
                                .withUtf8Key(cmd[2])
                                .withUtf8Value(cmd[2])
                                .build());
                      }
                      return context.done();
                    }));
    RequestReplyHandler handler = functions.requestReplyHandler();
    return bytes -> {
      CompletableFuture<byte[]> answer =
          handler.handle(Slices.wrap(bytes)).thenApply(s -> s.toByteArray());
      if (new String(bytes, StandardCharsets.ISO_8859_1).contains(SLOW)) {
        return answer.thenApplyAsync(
            b -> b, CompletableFuture.delayedExecutor(SLOW_ANSWER_MS, TimeUnit.MILLISECONDS));
      }
      return answer;
    };
  }

  private static Path writeModule(Path dir, String urlTemplate, String bootstrap, String in)
      throws Exception {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: outage/*",
            "  urlPathTemplate: " + urlTemplate,
            "  transport:",
            "    call: 60s",
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: outage/in",
            "  address: " + bootstrap,
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + in,
            "      valueType: outage/command",
            "      targets:",
            "        - outage/fn",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: outage/out",
            "  address: " + bootstrap,
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            "");
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static void awaitOutputs(String bootstrap, String topic, int n) {
    try (KafkaConsumer<byte[], byte[]> reader = KafkaIO.committedReader(bootstrap, topic)) {
      List<ConsumerRecord<byte[], byte[]>> records =
          KafkaIO.readUntil(reader, new ArrayList<>(), r -> r.size() >= n, Duration.ofSeconds(60));
      assertThat(records).as("outputs on %s before the outage", topic).hasSize(n);
    }
  }

  /**
   * Records per key on {@code topic} (read_committed), once {@code n} arrived, plus a quiet second.
   */
  private static Map<String, Integer> counts(
      String bootstrap, String topic, int n, Duration timeout) {
    try (KafkaConsumer<byte[], byte[]> reader = KafkaIO.committedReader(bootstrap, topic)) {
      List<ConsumerRecord<byte[], byte[]>> records =
          KafkaIO.readUntil(reader, new ArrayList<>(), r -> n > 0 && r.size() >= n, timeout);
      KafkaIO.drain(reader, records, Duration.ofSeconds(1));
      Map<String, Integer> counts = new TreeMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        counts.merge(String.valueOf(KafkaIO.utf8(r.key())), 1, Integer::sum);
      }
      return counts;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Samples every thread of this JVM every 10 ms and keeps, per thread, the first stack that shows
   * kstatefun blocking it on Kafka.
   */
  private static final class ThreadSampler {
    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread = new Thread(this::run, "thread-sampler");
    final Map<String, String> findings = new TreeMap<>();
    volatile int samples;

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join();
    }

    private void run() {
      while (running.get()) {
        for (ThreadInfo info : mx.dumpAllThreads(false, false)) {
          String problem = problem(info);
          if (problem != null) {
            synchronized (findings) {
              findings.putIfAbsent(info.getThreadName(), problem);
            }
          }
        }
        samples++;
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private static String problem(ThreadInfo info) {
      String name = info.getThreadName();
      StackTraceElement[] stack = info.getStackTrace();
      if (name.startsWith("vert.x-eventloop-thread") || name.equals("kstatefun-timer-alarm")) {
        for (StackTraceElement frame : stack) {
          if (frame.getClassName().startsWith("org.apache.kafka.clients")) {
            return info.getThreadState() + " in " + frame + " " + describe(stack);
          }
        }
        return null;
      }
      if (name.contains("StreamThread") && info.getThreadState() != Thread.State.RUNNABLE) {
        // the deepest kstatefun frame, and what it called
        for (int i = 1; i < stack.length; i++) {
          if (stack[i].getClassName().startsWith("io.kstatefun")) {
            String callee = stack[i - 1].getClassName();
            if (callee.startsWith("org.apache.kafka.clients")
                || callee.startsWith("org.apache.kafka.common")) {
              return info.getThreadState()
                  + " in "
                  + stack[i - 1]
                  + " called from "
                  + stack[i]
                  + " "
                  + describe(stack);
            }
            return null;
          }
        }
      }
      return null;
    }

    private static String describe(StackTraceElement[] stack) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < Math.min(stack.length, 25); i++) {
        b.append(i == 0 ? "" : " <- ")
            .append(stack[i].getClassName())
            .append('.')
            .append(stack[i].getMethodName());
      }
      return b.append(']').toString();
    }
  }
}
