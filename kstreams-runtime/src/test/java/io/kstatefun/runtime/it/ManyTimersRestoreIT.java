package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.TimerFunctions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not part of the default build: how start-up and restoration scale with the number
 * of pending timers. Run with {@code -Dkstatefun.bench.timers=200000
 * -Dit.test=ManyTimersRestoreIT}.
 *
 * <p>Schedules N timers an hour ahead, then measures: a clean restart (state directory kept), a
 * restart with the state directory deleted (what exactly-once does to a task after an unclean stop:
 * a full restore from the changelog), the timers changelog size, and how late a 1 s timer fires
 * while the N timers are pending. Results are printed as {@code ManyTimersRestoreIT ...}.
 */
@EnabledIfSystemProperty(named = "kstatefun.bench.timers", matches = "\\d+")
class ManyTimersRestoreIT {

  private static final int PER_COMMAND = 5_000;

  @Test
  @Timeout(1800)
  void shouldRestoreManyTimersInTimeProportionalToTheChangelog(@TempDir Path dir) throws Exception {
    int n = Integer.getInteger("kstatefun.bench.timers");
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String sched = "sched-" + suffix;
    String hold = "hold-" + suffix;
    String out = "out-" + suffix;
    String app = "bench-" + suffix;
    Path state = dir.resolve("state");
    try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start();
        TimerFunctions functions = new TimerFunctions(out)) {
      kafka.createTopics(Map.of(sched, 8, hold, 1, out, 1));
      ModuleSpec module =
          ModuleParser.parse(
              TimerFunctions.writeModule(
                  dir, functions.urlTemplate(), kafka.bootstrapServers(), sched, hold));
      Map<String, Object> props =
          KafkaIO.runtimeProps(app, kafka.bootstrapServers(), state.toString());

      long t0 = System.nanoTime();
      try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props);
          KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers())) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(120))).isTrue();
        for (int i = 0; i < n / PER_COMMAND; i++) {
          KafkaIO.send(producer, sched, "s" + (i % 32), "spawn " + PER_COMMAND + " 3600000 t" + i);
        }
        producer.flush();
        awaitPending(runtime, n, Duration.ofMinutes(20));
        report("scheduled " + n + " timers in", t0);
        lateness(runtime, producer, kafka, out, "with " + n + " pending");
      }

      long[] changelog = changelog(kafka, app + "-kstatefun-timers-changelog");
      System.out.println(
          "ManyTimersRestoreIT timers changelog: "
              + changelog[0]
              + " records (end offsets), "
              + changelog[1] / (1024 * 1024)
              + " MiB on disk");

      long t1 = System.nanoTime();
      try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props)) {
        assertThat(runtime.awaitRunning(Duration.ofMinutes(10))).isTrue();
        report("clean restart (state dir kept): RUNNING after", t1);
        awaitPending(runtime, n, Duration.ofMinutes(5));
        report("clean restart: all timers visible after", t1);
      }

      deleteRecursively(state);
      long t2 = System.nanoTime();
      try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props);
          KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers())) {
        assertThat(runtime.awaitRunning(Duration.ofMinutes(20))).isTrue();
        report("full restore (state dir deleted): RUNNING after", t2);
        awaitPending(runtime, n, Duration.ofMinutes(5));
        report("full restore: all timers visible after", t2);
        lateness(runtime, producer, kafka, out, "after restore");

        // Fire many timers, then check a new one is still punctual (tombstones of fired timers).
        int burst = 20 * PER_COMMAND;
        long receivedBefore = functions.received.get();
        for (int i = 0; i < 20; i++) {
          KafkaIO.send(producer, sched, "f" + i, "spawnsame " + PER_COMMAND + " 5000 burst-" + i);
        }
        producer.flush();
        awaitPending(runtime, n + burst, Duration.ofMinutes(10));
        long t3 = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (functions.received.get() - receivedBefore < burst && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        report(
            "delivered "
                + burst
                + " fired timers to the function (from all scheduled, due within 5 s) in",
            t3);
        System.out.println(
            "ManyTimersRestoreIT pending after the burst: " + runtime.tasks().pendingTimersTotal());
        lateness(runtime, producer, kafka, out, "after firing " + burst);
      }
    }
  }

  private static void awaitPending(KStatefunRuntime runtime, long n, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (runtime.tasks().pendingTimersTotal() < n && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(runtime.tasks().pendingTimersTotal()).isGreaterThanOrEqualTo(n);
  }

  /** Schedules one 1 s timer and prints how late it reaches the function. */
  private static void lateness(
      KStatefunRuntime runtime,
      KafkaProducer<byte[], byte[]> producer,
      LocalKafkaBroker kafka,
      String out,
      String when)
      throws Exception {
    String key = "probe-" + UUID.randomUUID().toString().substring(0, 6);
    try (KafkaConsumer<byte[], byte[]> reader =
        KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      KafkaIO.send(producer, runtimeSchedulerTopic(runtime), "probe", "schedule " + key + " 1000");
      producer.flush();
      List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
      KafkaIO.readUntil(
          reader,
          seen,
          s -> s.stream().anyMatch(r -> key.equals(KafkaIO.utf8(r.key()))),
          Duration.ofMinutes(2));
      for (ConsumerRecord<byte[], byte[]> r : seen) {
        if (key.equals(KafkaIO.utf8(r.key()))) {
          String[] f = KafkaIO.utf8(r.value()).split("\\|");
          System.out.println(
              "ManyTimersRestoreIT 1 s timer "
                  + when
                  + ": late by "
                  + (Long.parseLong(f[3]) - Long.parseLong(f[1]) - Long.parseLong(f[2]))
                  + " ms");
        }
      }
    }
  }

  private static String runtimeSchedulerTopic(KStatefunRuntime runtime) {
    return runtime.applicationId().replace("bench-", "sched-");
  }

  private static long[] changelog(LocalKafkaBroker kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      int partitions =
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      long records = 0;
      for (var e : admin.listOffsets(request).all().get().values()) {
        records += e.offset();
      }
      long bytes = 0;
      for (var dirs : admin.describeLogDirs(List.of(1)).allDescriptions().get().values()) {
        for (var d : dirs.values()) {
          for (var r : d.replicaInfos().entrySet()) {
            if (r.getKey().topic().equals(topic)) {
              bytes += r.getValue().size();
            }
          }
        }
      }
      return new long[] {records, bytes};
    }
  }

  private static void report(String what, long startNanos) {
    System.out.println(
        "ManyTimersRestoreIT " + what + " " + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
  }

  private static void deleteRecursively(Path root) throws Exception {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
