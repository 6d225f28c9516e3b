package io.kstatefun.runtime.it;

import static io.kstatefun.runtime.testing.CounterLoad.longestGapAfter;
import static io.kstatefun.runtime.testing.RuntimeProcess.activePartitions;
import static io.kstatefun.runtime.testing.RuntimeProcess.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.testing.CounterLoad;
import io.kstatefun.runtime.testing.CounterWorkload;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import io.kstatefun.runtime.testing.RuntimeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
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
 * Fast fail-over on a broker with default group and transaction settings (the session timeout
 * cannot go below the broker's {@code group.min.session.timeout.ms}, 6 s): two runtime JVMs share
 * the partitions under counter load.
 *
 * <ul>
 *   <li>{@link #shouldMoveTheKilledInstancesPartitionsWithinSeconds}: {@code kill -9} of one of
 *       them at a random moment, 5 rounds (the killed one is restarted in between). Per round it
 *       prints a JSON line: how long the partitions that moved produced no output ({@code
 *       movedSilenceMs}: the longest gap between two outputs written by tasks of moved partitions,
 *       from 1 s before the kill), the longest pause of an id that needs no moved partition ({@code
 *       unmovedPauseMs}), when the survivor logged the death ({@code detectedMs}) and when it owned
 *       every partition. After every round the egress so far must be, per id, exactly the expected
 *       sequence (no loss, no duplicate). Asserted: the median silence is below 5 s (the session
 *       timeout alone is 6 s; the goal is 2 s, a benchmark figure on a quiet machine, not
 *       asserted).
 *   <li>{@link #shouldKeepExactlyOnceWhenAnInstanceIsPausedAndResumed}: {@code SIGSTOP} for 10 s,
 *       then {@code SIGCONT}: the paused instance is not declared dead (its probes time out), it
 *       rejoins and owns partitions again, and the egress is exactly once.
 * </ul>
 *
 * <p>It takes 5-8 minutes on 2 cores (restarts, warm-up, steady state before each kill), so the
 * default build leaves it out (kstreams-runtime/pom.xml); the chaos profile runs it. To measure
 * ({@code -Dkstatefun.it.failoverRounds}, {@code -Dkstatefun.it.warmupSeconds}, {@code
 * -Dkstatefun.it.seed}, {@code -Dkstatefun.it.transactionVersion=1} for the broker setting that
 * docs/architecture.md recommends (the default, 2, made the survivor's own commits retry
 * CONCURRENT_TRANSACTIONS for seconds on a loaded machine, which delays its rejoin), and {@code
 * -Dkstatefun.it.runtimeSettings=k=v,k=v} for extra {@code --set}s of both instances, e.g. {@code
 * kstatefun.failover.detection.enabled=false} for the old behaviour or {@code
 * num.standby.replicas=1}):
 *
 * <pre>
 * mvn -Pchaos verify -pl kstreams-runtime -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=FastFailoverIT -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 */
class FastFailoverIT {

  /** Median silence of the moved partitions accepted; the session timeout alone is 6 s. */
  private static final long MAX_MEDIAN_SILENCE_MS = 5_000;

  private static final int PARTITIONS = 8;
  private static final int KEYS = 16;
  private static final long INTERVAL_MS = 200;

  private static LocalKafkaBroker kafka;

  @BeforeAll
  static void startKafka() {
    // The broker's defaults: the local brokers shorten the abort of timed-out transactions to 1 s;
    // put the default (10 s) back. group.min.session.timeout.ms keeps its default (6 s).
    kafka =
        LocalKafkaBroker.builder()
            .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "10000")
            .start();
    // -Dkstatefun.it.transactionVersion=1: the classic transaction protocol, as
    // docs/architecture.md
    // recommends until the transaction.version 2 issues are fixed (default: the broker's, 2)
    short tv = Short.parseShort(System.getProperty("kstatefun.it.transactionVersion", "0"));
    if (tv > 0) {
      try (org.apache.kafka.clients.admin.Admin admin =
          org.apache.kafka.clients.admin.Admin.create(
              Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin
            .updateFeatures(
                Map.of(
                    "transaction.version",
                    new org.apache.kafka.clients.admin.FeatureUpdate(
                        tv,
                        org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.SAFE_DOWNGRADE)),
                new org.apache.kafka.clients.admin.UpdateFeaturesOptions())
            .all()
            .get(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("cannot set transaction.version " + tv, e);
      }
      System.out.println("FastFailoverIT: transaction.version " + tv);
    }
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Two instances of one application under load. */
  private static final class Setup implements AutoCloseable {
    final String in;
    final CounterWorkload workload = new CounterWorkload(KEYS);
    final FunctionHttpServer functions;
    final KafkaProducer<byte[], byte[]> producer;
    final KafkaConsumer<byte[], byte[]> reader;
    final List<String> argsA;
    final List<String> argsB;
    final int adminA;
    final int adminB;
    RuntimeProcess a;
    RuntimeProcess b;
    CounterLoad load;

    Setup(Path dir) throws Exception {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      in = "in-" + suffix;
      String out = "out-" + suffix;
      kafka.createTopics(Map.of(in, PARTITIONS, out, 1));
      functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
      producer = KafkaIO.producer(kafka.bootstrapServers());
      reader = KafkaIO.committedReader(kafka.bootstrapServers(), out);
      Path module =
          CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
      List<String> common =
          new ArrayList<>(
              List.of("--module", module.toString(), "--application-id", "app-" + suffix));
      String extra = System.getProperty("kstatefun.it.runtimeSettings", "");
      for (String kv : extra.split(",")) {
        if (!kv.isBlank()) {
          common.add("--set");
          common.add(kv.trim());
        }
      }
      adminA = freePort();
      adminB = freePort();
      argsA = RuntimeProcess.instanceArgs(common, dir.resolve("state-a"), adminA);
      argsB = RuntimeProcess.instanceArgs(common, dir.resolve("state-b"), adminB);
    }

    void startBoth() throws Exception {
      a = RuntimeProcess.start("runtime-A", argsA);
      b = RuntimeProcess.start("runtime-B", argsB);
      assertThat(a.awaitRunning(Duration.ofSeconds(120))).as("A running").isTrue();
      assertThat(b.awaitRunning(Duration.ofSeconds(120))).as("B running").isTrue();
      awaitBalanced();
      load = new CounterLoad(workload, producer, in, INTERVAL_MS, reader);
      load.start();
    }

    /** Waits until both instances own partitions and together all of them. */
    void awaitBalanced() throws InterruptedException {
      Set<Integer> onA = Set.of();
      Set<Integer> onB = Set.of();
      long deadline = System.currentTimeMillis() + 90_000;
      while (System.currentTimeMillis() < deadline) {
        onA = activePartitions(adminA);
        onB = activePartitions(adminB);
        if (!onA.isEmpty() && !onB.isEmpty() && onA.size() + onB.size() == PARTITIONS) {
          break;
        }
        Thread.sleep(200);
      }
      System.out.println("A owns " + onA + ", B owns " + onB);
      assertThat(onA).as("A owns some partitions").isNotEmpty();
      assertThat(onB).as("B owns some partitions").isNotEmpty();
    }

    /** Waits until both instances answer /health/ready with 200 (running, nothing restoring). */
    void awaitReady() throws InterruptedException {
      long deadline = System.currentTimeMillis() + 120_000;
      while (System.currentTimeMillis() < deadline) {
        if (ready(adminA) && ready(adminB)) {
          return;
        }
        Thread.sleep(200);
      }
      throw new AssertionError("the instances did not become ready within 120 s");
    }

    /** Stops the load, waits for every output, checks exactly-once. */
    void finishAndVerify() throws InterruptedException {
      load.stopProducing();
      List<ConsumerRecord<byte[], byte[]>> egress = load.egress();
      long deadline = System.currentTimeMillis() + 120_000;
      while (System.currentTimeMillis() < deadline && !workload.complete(new ArrayList<>(egress))) {
        Thread.sleep(200);
      }
      Thread.sleep(2_000); // late duplicates would show up here
      load.stopReading();
      workload.verify(new ArrayList<>(egress));
    }

    @Override
    public void close() throws Exception {
      if (load != null) {
        load.close();
      }
      if (a != null) {
        a.close();
      }
      if (b != null) {
        b.close();
      }
      reader.close();
      producer.close();
      functions.close();
    }
  }

  @Test
  @Timeout(600)
  void shouldMoveTheKilledInstancesPartitionsWithinSeconds(@TempDir Path dir) throws Exception {
    int rounds = Integer.getInteger("kstatefun.it.failoverRounds", 5);
    long seed = Long.getLong("kstatefun.it.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("FastFailoverIT seed " + seed);
    try (Setup s = new Setup(dir)) {
      s.startBoth();
      Thread.sleep(1_000L * Long.getLong("kstatefun.it.warmupSeconds", 10));
      List<Long> silences = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        // steady state first: both ready (no restoration), every id producing output
        s.awaitReady();
        awaitFlowing(s.load, 60_000);
        Thread.sleep(1_000 + random.nextInt(3_000)); // a random moment
        Set<Integer> onA = activePartitions(s.adminA);
        Set<Integer> onB = activePartitions(s.adminB);
        // the victim must own partitions; after a restart Kafka Streams may leave one with only
        // warm-up replicas until its state caught up
        boolean killA = onB.isEmpty() || (!onA.isEmpty() && random.nextBoolean());
        RuntimeProcess victim = killA ? s.a : s.b;
        RuntimeProcess survivor = killA ? s.b : s.a;
        int victimAdmin = killA ? s.adminA : s.adminB;
        int survivorAdmin = killA ? s.adminB : s.adminA;
        Set<Integer> moved = new TreeSet<>(activePartitions(victimAdmin));
        long killAt = System.currentTimeMillis();
        victim.kill();
        long ownsAll = -1;
        long deadline = killAt + 60_000;
        while (System.currentTimeMillis() < deadline) {
          if (activePartitions(survivorAdmin).size() == PARTITIONS) {
            ownsAll = System.currentTimeMillis() - killAt;
            break;
          }
          Thread.sleep(50);
        }
        assertThat(ownsAll).as("round %d: the survivor owns every partition", round).isPositive();
        // the measuring window: until every id has produced output again, plus 1 s
        awaitOutputOfEveryIdAfter(s.load, killAt + ownsAll, 60_000);
        Thread.sleep(1_000);
        Pauses p = pauses(s.load.arrivals(), killAt, moved);
        silences.add(p.movedSilence);
        long detected = detectedAt(survivor, killAt);
        System.out.printf(
            "{\"test\":\"FastFailoverIT\",\"round\":%d,\"victim\":\"%s\",\"moved\":\"%s\","
                + "\"movedSilenceMs\":%d,\"unmovedPauseMs\":%d,\"detectedMs\":%d,\"survivorOwnsAllMs\":%d}%n",
            round, killA ? "A" : "B", moved, p.movedSilence, p.unmovedPause, detected, ownsAll);
        assertExactlyOnceSoFar(s.load.egress(), round);
        // restart the killed instance on its state directory and admin port
        RuntimeProcess restarted =
            RuntimeProcess.start(killA ? "runtime-A" : "runtime-B", killA ? s.argsA : s.argsB);
        if (killA) {
          s.a = restarted;
        } else {
          s.b = restarted;
        }
        assertThat(restarted.awaitRunning(Duration.ofSeconds(120)))
            .as("round %d: the killed instance runs again", round)
            .isTrue();
      }
      s.finishAndVerify();
      List<Long> sorted = new ArrayList<>(silences);
      Collections.sort(sorted);
      long median = sorted.get(sorted.size() / 2);
      System.out.printf(
          "{\"test\":\"FastFailoverIT\",\"summary\":true,\"rounds\":%d,\"movedSilenceMs\":%s,"
              + "\"medianMovedSilenceMs\":%d}%n",
          rounds, silences, median);
      assertThat(median)
          .as("median ms in which the partitions of a killed instance produced no output")
          .isLessThan(MAX_MEDIAN_SILENCE_MS);
    }
  }

  @Test
  @Timeout(300)
  void shouldKeepExactlyOnceWhenAnInstanceIsPausedAndResumed(@TempDir Path dir) throws Exception {
    try (Setup s = new Setup(dir)) {
      s.startBoth();
      Thread.sleep(5_000);
      long stopAt = System.currentTimeMillis();
      s.a.signal("STOP");
      Thread.sleep(10_000); // the scenario: a 10 s pause
      s.a.signal("CONT");
      long contAt = System.currentTimeMillis();
      // A rejoins: it owns partitions again (Kafka Streams moved them to B after the session
      // timeout, and back when A rejoined)
      long rejoined = -1;
      long deadline = contAt + 90_000;
      while (System.currentTimeMillis() < deadline) {
        Set<Integer> onA = activePartitions(s.adminA);
        Set<Integer> onB = activePartitions(s.adminB);
        if (!onA.isEmpty() && onA.size() + onB.size() == PARTITIONS) {
          rejoined = System.currentTimeMillis() - contAt;
          break;
        }
        Thread.sleep(200);
      }
      Thread.sleep(3_000);
      s.finishAndVerify();
      long deaths = s.b.failoverLines().stream().filter(l -> l.contains("is dead")).count();
      System.out.printf(
          "{\"test\":\"FastFailoverIT\",\"sigstop\":true,\"pausedMs\":%d,\"rejoinedAfterContMs\":%d,"
              + "\"deathsDeclaredBySurvivor\":%d}%n",
          contAt - stopAt, rejoined, deaths);
      assertThat(rejoined).as("ms until the paused instance owned partitions again").isPositive();
      assertThat(s.b.failoverLines())
          .as("a paused instance is never declared dead (its probes time out)")
          .noneMatch(l -> l.contains("is dead"));
    }
  }

  private record Pauses(long movedSilence, long unmovedPause) {}

  /**
   * The silence of the moved partitions (the longest gap between outputs whose forwarder, the
   * function that writes the egress record, lives in a moved partition, from 1 s before the kill)
   * and the longest pause of an id that needs no moved partition.
   */
  private static Pauses pauses(Map<String, List<Long>> arrivals, long killAt, Set<Integer> moved) {
    List<Long> movedTimes = new ArrayList<>();
    long unmoved = 0;
    synchronized (arrivals) {
      for (Map.Entry<String, List<Long>> e : arrivals.entrySet()) {
        String id = e.getKey();
        if (moved.contains(AddressPartitioner.partition(id + "-fwd", PARTITIONS))) {
          movedTimes.addAll(e.getValue());
        }
        boolean needsMoved =
            moved.contains(ingressPartition(id))
                || moved.contains(AddressPartitioner.partition(id, PARTITIONS))
                || moved.contains(AddressPartitioner.partition(id + "-fwd", PARTITIONS));
        if (!needsMoved) {
          unmoved = Math.max(unmoved, longestGapAfter(e.getValue(), killAt));
        }
      }
    }
    Collections.sort(movedTimes);
    return new Pauses(longestGapAfter(movedTimes, killAt - 1_000), unmoved);
  }

  /** The ingress partition of an id (the producer's default partitioner): its first task. */
  private static int ingressPartition(String id) {
    byte[] key = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return org.apache.kafka.common.utils.Utils.toPositive(
            org.apache.kafka.common.utils.Utils.murmur2(key))
        % PARTITIONS;
  }

  private static boolean ready(int adminPort) {
    try {
      java.net.HttpURLConnection c =
          (java.net.HttpURLConnection)
              java.net
                  .URI
                  .create("http://127.0.0.1:" + adminPort + "/health/ready")
                  .toURL()
                  .openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      int status = c.getResponseCode();
      c.disconnect();
      return status == 200;
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  /** Waits until every id produced output within the last 1.5 s. */
  private static void awaitFlowing(CounterLoad load, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      boolean all;
      long recent = System.currentTimeMillis() - 1_500;
      Map<String, List<Long>> arrivals = load.arrivals();
      synchronized (arrivals) {
        all =
            arrivals.size() == KEYS
                && arrivals.values().stream().allMatch(t -> t.get(t.size() - 1) > recent);
      }
      if (all) {
        return;
      }
      Thread.sleep(100);
    }
    System.out.println("WARNING: not every id produced output in the last 1.5 s (a backlog?)");
  }

  private static void awaitOutputOfEveryIdAfter(CounterLoad load, long after, long timeoutMs)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      boolean all;
      Map<String, List<Long>> arrivals = load.arrivals();
      synchronized (arrivals) {
        all =
            arrivals.size() == KEYS
                && arrivals.values().stream().allMatch(t -> t.get(t.size() - 1) > after);
      }
      if (all) {
        return;
      }
      Thread.sleep(100);
    }
  }

  /** Ms from the kill to the survivor's "is dead" log line, or -1. */
  private static long detectedAt(RuntimeProcess survivor, long killAt) {
    for (String line : survivor.failoverLines()) {
      long at = Long.parseLong(line.substring(0, line.indexOf(' ')));
      if (at >= killAt && line.contains("is dead")) {
        return at - killAt;
      }
    }
    return -1;
  }

  /** Per id, the outputs so far are exactly {@code <id>:1..k} in order: none lost, none twice. */
  private static void assertExactlyOnceSoFar(
      List<ConsumerRecord<byte[], byte[]>> egress, int round) {
    Map<String, List<String>> byId = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : new ArrayList<>(egress)) {
      byId.computeIfAbsent(KafkaIO.utf8(r.key()), x -> new ArrayList<>())
          .add(KafkaIO.utf8(r.value()));
    }
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : byId.entrySet()) {
      String id = e.getKey();
      List<String> actual = e.getValue();
      for (int k = 1; k <= actual.size(); k++) {
        String expected = id + ":" + k + ":" + id + "#" + k + "|" + k;
        if (!actual.get(k - 1).equals(expected)) {
          problems.add(id + " output " + k + " is " + actual.get(k - 1) + ", expected " + expected);
          break;
        }
      }
    }
    assertThat(problems)
        .as("round %d: outputs that are not exactly once, in order", round)
        .isEmpty();
  }
}
