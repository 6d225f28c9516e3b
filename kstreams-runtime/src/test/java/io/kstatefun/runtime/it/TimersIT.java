package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.testing.CommittedTimers;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.Percentiles;
import io.kstatefun.runtime.testing.RuntimeProcess;
import io.kstatefun.runtime.testing.TimerFunctions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delayed messages, cancellation and state TTL on a real KRaft broker, with functions written with
 * the kstatefun SDK ({@link TimerFunctions}). Egress is read with read_committed, so "once" means
 * exactly one committed record.
 */
class TimersIT {

  private static final long DELAY_MS = 3_000;

  /**
   * Bounds on the runtime's firing delay (due time to the dispatcher firing the timer), generous
   * because the machine is shared: under heavy foreign load the whole pipeline slows down, not only
   * timers. The end-to-end delay (sending function to receiving function, including the hops and
   * calls any message takes) is measured and printed, and only checked to never be early. Override
   * with -Dkstatefun.it.timer.p50.ms / -Dkstatefun.it.timer.max.ms.
   */
  private static final long P50_BOUND_MS = Long.getLong("kstatefun.it.timer.p50.ms", 1_000);

  private static final long MAX_BOUND_MS = Long.getLong("kstatefun.it.timer.max.ms", 10_000);

  private static LocalKafkaBroker kafka;

  @BeforeAll
  static void startKafka() {
    kafka = LocalKafkaBroker.builder().start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private record Topics(String scheduler, String holder, String out, String app) {
    static Topics create() {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      Topics t =
          new Topics("sched-" + suffix, "hold-" + suffix, "out-" + suffix, "timers-" + suffix);
      kafka.createTopics(Map.of(t.scheduler, 3, t.holder, 3, t.out, 1));
      return t;
    }
  }

  /** Egress records by key; fails on a key seen twice. */
  private static Map<String, String> byKeyOnce(List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, String> out = new HashMap<>();
    List<String> duplicates = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (out.put(KafkaIO.utf8(r.key()), KafkaIO.utf8(r.value())) != null) {
        duplicates.add(KafkaIO.utf8(r.key()));
      }
    }
    assertThat(duplicates).as("keys delivered more than once").isEmpty();
    return out;
  }

  /** Scheduler commands the function ran that start with {@code prefix}. */
  private static long executedCount(TimerFunctions functions, String prefix) {
    return functions.executed.keySet().stream()
        .filter(c -> c.substring(c.indexOf(": ") + 2).startsWith(prefix))
        .count();
  }

  @Test
  @Timeout(120)
  void shouldDeliverEachDelayedMessageOnceAfterItsDelayAndNeverACancelledOne(@TempDir Path dir)
      throws Exception {
    Topics t = Topics.create();
    java.util.Queue<Long> fired = new java.util.concurrent.ConcurrentLinkedQueue<>();
    RuntimeListener listener =
        new RuntimeListener() {
          @Override
          public void timerFired(long lateMs) {
            fired.add(lateMs);
          }
        };
    int n = 100;
    Set<String> cancelled = new HashSet<>();
    List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
    try (TimerFunctions functions = new TimerFunctions(t.out);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), t.out)) {
      try (KStatefunRuntime runtime =
          KStatefunRuntime.start(
              ModuleParser.parse(
                  TimerFunctions.writeModule(
                      dir,
                      functions.urlTemplate(),
                      kafka.bootstrapServers(),
                      t.scheduler,
                      t.holder)),
              KafkaIO.runtimeProps(
                  t.app, kafka.bootstrapServers(), dir.resolve("state").toString()),
              listener)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        // Warm up the path (state negotiation, connections, JIT) with one delayed message.
        KafkaIO.send(producer, t.scheduler, "warm", "schedule warm-up 100");
        producer.flush();
        KafkaIO.readUntil(reader, egress, e -> !e.isEmpty(), Duration.ofSeconds(30));
        assertThat(egress).as("warm-up delivered").hasSize(1);
        egress.clear();
        fired.clear();

        for (int i = 0; i < n; i++) {
          // 20 senders; some also schedule a cancellable message and cancel it at once.
          String sender = "s" + (i % 20);
          KafkaIO.send(producer, t.scheduler, sender, "schedule k" + i + " " + DELAY_MS);
          if (i < 20) {
            KafkaIO.send(
                producer, t.scheduler, sender, "schedule c" + i + " " + DELAY_MS + " tok-" + i);
            KafkaIO.send(producer, t.scheduler, sender, "cancel tok-" + i);
            cancelled.add("c" + i);
            // cancelled by a later message of the sender, long before it is due
            KafkaIO.send(producer, t.scheduler, sender, "schedule d" + i + " 120000 late-" + i);
            cancelled.add("d" + i);
          }
          Thread.sleep(10); // pacing (the scenario): due times spread over about a second
        }
        producer.flush();
        // The late cancellations go out once the 2-minute messages were scheduled: a later batch.
        await("the 2-minute messages scheduled")
            .atMost(Duration.ofSeconds(60))
            .until(() -> executedCount(functions, "schedule d") == 20);
        for (int i = 0; i < 20; i++) {
          KafkaIO.send(producer, t.scheduler, "s" + i, "cancel late-" + i);
        }
        producer.flush();

        KafkaIO.readUntil(reader, egress, e -> e.size() >= n, Duration.ofSeconds(60));
        // Once the late cancellations ran, no timer may be left: they removed the 2-minute timers.
        await("every timer fired or cancelled")
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    executedCount(functions, "cancel late-") == 20
                        && runtime.tasks().pendingTimersTotal() == 0);
        assertThat(runtime.tasks().pendingTimersTotal())
            .as("timers left after all fired or were cancelled")
            .isZero();
      }
      // The runtime closed cleanly: everything it will ever write is committed, duplicates
      // included.
      KafkaIO.readToEnd(reader, egress, Duration.ofSeconds(30));
      Map<String, String> delivered = byKeyOnce(egress);
      for (String key : delivered.keySet()) {
        if (cancelled.contains(key)) {
          System.out.println("TimersIT cancelled but delivered: " + delivered.get(key));
          functions.executed.forEach(
              (cmd, at) -> System.out.println("TimersIT executed " + at + " " + cmd));
        }
      }
      assertThat(delivered.keySet())
          .as("cancelled messages")
          .doesNotContainAnyElementsOf(cancelled);
      assertThat(delivered).hasSize(n);

      List<Long> late = new ArrayList<>();
      for (String value : delivered.values()) {
        String[] f = value.split("\\|"); // key|scheduledAt|delay|receivedAt
        late.add(Long.parseLong(f[3]) - Long.parseLong(f[1]) - Long.parseLong(f[2]));
      }
      Percentiles lateness = new Percentiles(late);
      String load = Files.readString(Path.of("/proc/loadavg")).trim();
      System.out.println(
          "TimersIT delay beyond "
              + DELAY_MS
              + " ms, sending function -> receiving function: "
              + lateness
              + " (load average "
              + load
              + ")");
      Percentiles firing = new Percentiles(fired);
      System.out.println(
          "TimersIT runtime firing delay, due time -> fired in the dispatcher: " + firing);
      assertThat(lateness.min()).as("never early").isGreaterThanOrEqualTo(0);
      assertThat(firing.count()).as("timers fired (k and warm-up excluded)").isEqualTo(n);
      assertThat(firing.p(50)).as("p50 firing delay").isLessThan(P50_BOUND_MS);
      assertThat(firing.max()).as("max firing delay").isLessThan(MAX_BOUND_MS);
    }
  }

  @Test
  @Timeout(240)
  void shouldKeepDelayedMessagesAndCancellationsWhenTheRuntimeIsKilledDuringTheDelay(
      @TempDir Path dir) throws Exception {
    Topics t = Topics.create();
    try (TimerFunctions functions = new TimerFunctions(t.out);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), t.out)) {
      Path module =
          TimerFunctions.writeModule(
              dir, functions.urlTemplate(), kafka.bootstrapServers(), t.scheduler, t.holder);
      List<String> args =
          List.of(
              "--module",
              module.toString(),
              "--application-id",
              t.app,
              "--state-dir",
              dir.resolve("state").toString());
      Set<String> expected = new HashSet<>();
      Set<String> cancelled = new HashSet<>();
      try (RuntimeProcess first = RuntimeProcess.start("timers-1", args)) {
        assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
        for (int i = 0; i < 20; i++) {
          String sender = "s" + (i % 5);
          // due while the runtime is down, and due after it is back
          KafkaIO.send(producer, t.scheduler, sender, "schedule short" + i + " " + DELAY_MS);
          KafkaIO.send(producer, t.scheduler, sender, "schedule long" + i + " 15000");
          expected.add("short" + i);
          expected.add("long" + i);
        }
        for (int i = 0; i < 5; i++) {
          KafkaIO.send(
              producer, t.scheduler, "s" + i, "schedule gone" + i + " " + DELAY_MS + " tok-" + i);
          KafkaIO.send(producer, t.scheduler, "s" + i, "cancel tok-" + i);
          cancelled.add("gone" + i);
          // cancelled only after the restart: the token index must survive the kill. Due long after
          // the test, however slow the restart, so only the cancellation can remove them (checked
          // in the committed timer store below).
          KafkaIO.send(producer, t.scheduler, "s" + i, "schedule later" + i + " 120000 late-" + i);
          cancelled.add("later" + i);
        }
        producer.flush();
        // Kill once every delayed message and token is committed (45 timers: short, long and
        // later; 5 tokens: late-*), while the 3 s delays still run (a timer that fired already
        // ends the wait, and the test fails below).
        try (CommittedTimers committed = new CommittedTimers(kafka.bootstrapServers(), t.app)) {
          await("timers committed")
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      (committed.refresh().pending() == 45 && committed.tokens() == 5)
                          || !functions.firstArrival.isEmpty());
        }
        first.kill();
      }
      assertThat(functions.firstArrival).as("nothing fired before the kill").isEmpty();
      try (RuntimeProcess second = RuntimeProcess.start("timers-2", args)) {
        assertThat(second.awaitRunning(Duration.ofSeconds(90))).isTrue();
        for (int i = 0; i < 5; i++) {
          KafkaIO.send(producer, t.scheduler, "s" + i, "cancel late-" + i);
        }
        producer.flush();
        List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
        KafkaIO.readUntil(reader, egress, e -> e.size() >= expected.size(), Duration.ofSeconds(90));
        try (CommittedTimers committed = new CommittedTimers(kafka.bootstrapServers(), t.app)) {
          await("no timer or token left: every one fired or was cancelled")
              .atMost(Duration.ofSeconds(60))
              .until(() -> committed.refresh().pending() == 0 && committed.tokens() == 0);
        }
        assertThat(second.stop()).isIn(0, 143);
        // Both instances are gone: everything they committed is all there will ever be.
        KafkaIO.readToEnd(reader, egress, Duration.ofSeconds(30));
        Map<String, String> delivered = byKeyOnce(egress);
        assertThat(delivered.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        for (String value : delivered.values()) {
          String[] f = value.split("\\|");
          assertThat(Long.parseLong(f[3]) - Long.parseLong(f[1]))
              .as("never early: " + value)
              .isGreaterThanOrEqualTo(Long.parseLong(f[2]));
        }
      }
      assertThat(functions.firstArrival.keySet()).doesNotContainAnyElementsOf(cancelled);
    }
  }

  @Test
  @Timeout(120)
  void shouldForgetStateAfterItsTimeToLive(@TempDir Path dir) throws Exception {
    Topics t = Topics.create();
    try (TimerFunctions functions = new TimerFunctions(t.out);
        KStatefunRuntime runtime =
            KStatefunRuntime.start(
                ModuleParser.parse(
                    TimerFunctions.writeModule(
                        dir,
                        functions.urlTemplate(),
                        kafka.bootstrapServers(),
                        t.scheduler,
                        t.holder)),
                KafkaIO.runtimeProps(
                    t.app, kafka.bootstrapServers(), dir.resolve("state").toString()));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), t.out)) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
      // "idle" is written and then left alone; "busy" is written and then touched every 500 ms.
      for (String id : List.of("idle", "busy")) {
        KafkaIO.send(producer, t.holder, id, "set v-" + id);
        KafkaIO.send(producer, t.holder, id, "get fresh");
      }
      producer.flush();
      KafkaIO.readUntil(reader, egress, e -> e.size() >= 2, Duration.ofSeconds(30));
      long written = System.currentTimeMillis();
      while (System.currentTimeMillis() - written < TimerFunctions.TTL.toMillis() + 1_000) {
        KafkaIO.send(producer, t.holder, "busy", "touch");
        producer.flush();
        Thread.sleep(500); // the scenario: "busy" is touched every 500 ms until the TTL has passed
      }
      for (String id : List.of("idle", "busy")) {
        KafkaIO.send(producer, t.holder, id, "get expired");
      }
      producer.flush();
      KafkaIO.readUntil(reader, egress, e -> e.size() >= 4, Duration.ofSeconds(30));
      List<String> values = egress.stream().map(r -> KafkaIO.utf8(r.value())).toList();
      assertThat(values)
          .containsExactlyInAnyOrder(
              "idle|fresh|v-idle|v-idle",
              "busy|fresh|v-busy|v-busy",
              "idle|expired|-|-", // both expired: written and last called > TTL ago
              "busy|expired|-|v-busy"); // after-write expired; after-call kept alive by the touches
    }
  }
}
