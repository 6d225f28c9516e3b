package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.functions.KstatefunSdkFunctionServer;
import io.kstatefun.chaos.functions.OfficialSdkFunctionServer;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.ShadowModel;
import io.kstatefun.chaos.workload.WorkloadGenerator;
import io.kstatefun.routing.AddressPartitioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One chaos round: fresh topics, two function servers behind proxies, the runtime instances, the
 * driver, the faults and the verification, all derived from one seed.
 *
 * <ol>
 *   <li>Set up; warm up until every probe address answers.
 *   <li>Load: the generated trees are sent evenly over the load duration while probes tick every
 *       second and the faults are injected one after the other; after each fault the round waits
 *       until every probe address applied a probe sent after the fault was healed (the recovery
 *       time), within the bound.
 *   <li>Converge: wait until every expected message was applied; then ask every address to verify
 *       its counter; then wait past the due time of every cancelled message; then read until quiet.
 *   <li>Judge with the {@link Verifier}; tear down; delete the round's topics.
 * </ol>
 */
public final class ChaosRound {

  private final int index;
  private final long seed;
  private final RoundConfig config;
  private final ChaosKafka kafka;
  private final Path dir;
  private final Map<String, String> runtimeSettings;

  /** The command that replays this round. */
  private final String replay;

  private final String app;
  private final List<FnAddress> probes;
  private final List<String> probeNames;

  private final List<RuntimeInstance> runtimes = new ArrayList<>();
  private final Map<FnAddress.Kind, FunctionServerProcess> servers =
      new EnumMap<>(FnAddress.Kind.class);
  private final List<Violation> harnessViolations = new CopyOnWriteArrayList<>();
  private final ShadowModel model = new ShadowModel();
  private EventCollector collector;
  private Driver driver;
  private long loadStartMs;

  public ChaosRound(
      int index,
      long seed,
      RoundConfig config,
      ChaosKafka kafka,
      Path dir,
      Map<String, String> runtimeSettings,
      String replay) {
    this.replay = replay;
    this.runtimeSettings = Map.copyOf(runtimeSettings);
    this.index = index;
    this.seed = seed;
    this.config = config;
    this.kafka = kafka;
    this.dir = dir;
    this.app = "chaos-r" + index + "-" + Long.toHexString(seed).replace('-', 'm');
    this.probes = probeAddresses(config.partitions());
    this.probeNames = probes.stream().map(FnAddress::toString).toList();
  }

  /** One probe address per (function type, partition), so a stuck partition shows. */
  static List<FnAddress> probeAddresses(int partitions) {
    List<FnAddress> out = new ArrayList<>();
    for (FnAddress.Kind kind : FnAddress.Kind.values()) {
      Set<Integer> covered = new HashSet<>();
      for (int k = 0; covered.size() < partitions; k++) {
        String id = "probe" + k;
        if (covered.add(AddressPartitioner.partition(id, partitions))) {
          out.add(new FnAddress(kind, id));
        }
      }
    }
    return List.copyOf(out);
  }

  private void log(String message) {
    System.out.println("[chaos round " + index + " seed " + seed + "] " + message);
    System.out.flush();
  }

  private long sinceLoad() {
    return System.currentTimeMillis() - loadStartMs;
  }

  /** Runs the round; never throws (a harness failure is reported in the result). */
  public RoundResult run() {
    long t0 = System.currentTimeMillis();
    Random random = new Random(seed);
    int faultCount =
        config.minFaults() + random.nextInt(config.maxFaults() - config.minFaults() + 1);
    FaultPlan plan =
        FaultPlan.choose(
            seed,
            config.faultKinds(),
            faultCount,
            3_000,
            config.load().toMillis(),
            config.runtimes(),
            kafka.brokers());
    List<WorkloadGenerator.Tree> trees = new WorkloadGenerator(config.workload(), seed).generate();
    List<FaultRecord> faultRecords = new CopyOnWriteArrayList<>();
    Long convergedMs = null;
    String error = null;
    Verifier.Report report = null;
    log(
        "config "
            + config.name()
            + ", "
            + kafka.brokers()
            + " broker(s), "
            + config.runtimes()
            + " runtimes, "
            + trees.size()
            + " trees, guarantee "
            + config.processingGuarantee()
            + ", faults "
            + plan.faults());
    try {
      setUp();
      warmUp();

      // Load, with probes and faults.
      loadStartMs = System.currentTimeMillis();
      AtomicBoolean probing = new AtomicBoolean(true);
      Thread prober = daemon("chaos-prober", () -> probeLoop(probing));
      CompletableFuture<Void> faultsDone =
          CompletableFuture.runAsync(
              () -> runFaults(plan, faultRecords), r -> daemon("chaos-faults", r));
      long interval = trees.isEmpty() ? 0 : config.load().toMillis() / trees.size();
      for (int i = 0; i < trees.size(); i++) {
        sleepUntil(loadStartMs + i * interval);
        driver.send(trees.get(i));
      }
      driver.flush();
      log(
          "load sent ("
              + trees.size()
              + " trees) at +"
              + sinceLoad()
              + " ms; waiting for the faults to finish");
      faultsDone.join();
      probing.set(false);
      prober.join(10_000);
      driver.flush();

      // Converge.
      long convergeStart = System.currentTimeMillis();
      convergedMs = awaitConvergence(model, convergeStart);
      log(
          convergedMs == null
              ? "did NOT converge within " + config.convergeBound().toSeconds() + " s"
              : "converged " + convergedMs + " ms after the load and faults");
      verifyCounters(model);
      awaitCancelledDueTimes(model);
      collector.awaitQuiet(Duration.ofSeconds(3), Duration.ofSeconds(30));
      if (!driver.sendFailures().isEmpty()) {
        throw new IllegalStateException(
            "the driver could not send: " + driver.sendFailures().get(0));
      }
      report =
          Verifier.check(
              model,
              collector.eventsByAddress(),
              collector.egress(),
              collector.deadLetters(),
              collector.unreadable(),
              RoundConfig.CANCEL_RACE_MARGIN_MS);
    } catch (Exception | AssertionError e) {
      error = e.toString();
      log("harness error: " + e);
      e.printStackTrace(System.out);
    } finally {
      tearDown();
    }
    List<Violation> violations = new ArrayList<>();
    if (report != null) {
      violations.addAll(report.violations());
    }
    violations.addAll(mergeHarnessViolations());
    RoundResult result =
        new RoundResult(
            index,
            seed,
            config.name(),
            System.currentTimeMillis() - t0,
            List.copyOf(faultRecords),
            List.copyOf(violations),
            report == null ? 0 : report.cancelRaces(),
            convergedMs,
            report == null ? Map.of() : report.stats(),
            error,
            dir.toString());
    log(
        result.outcome()
            + " in "
            + result.durationMs() / 1000
            + " s"
            + (report == null ? "" : ", " + report.stats()));
    for (FaultRecord f : faultRecords) {
      log("  fault " + f);
    }
    for (Violation v : violations) {
      log("  VIOLATION " + v);
    }
    if (!result.passed()) {
      log("replay: " + replay);
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Set-up and tear-down

  private String topic(String suffix) {
    return app + "-" + suffix;
  }

  private void setUp() throws IOException {
    Files.createDirectories(dir);
    Map<FnAddress.Kind, String> ingress =
        Map.of(
            FnAddress.Kind.OFFICIAL, topic("in-official"),
            FnAddress.Kind.OURS, topic("in-ours"));
    kafka.createTopics(
        Map.of(
            ingress.get(FnAddress.Kind.OFFICIAL), 4,
            ingress.get(FnAddress.Kind.OURS), 4,
            topic("events"), 3,
            topic("egress"), 2,
            topic("dead-letters"), 1));
    List<String> serverArgs =
        List.of("--events-topic", topic("events"), "--egress-topic", topic("egress"));
    servers.put(
        FnAddress.Kind.OFFICIAL,
        new FunctionServerProcess(
            FnAddress.Kind.OFFICIAL,
            OfficialSdkFunctionServer.class.getName(),
            serverArgs,
            dir.resolve("functions-official.log")));
    servers.put(
        FnAddress.Kind.OURS,
        new FunctionServerProcess(
            FnAddress.Kind.OURS,
            KstatefunSdkFunctionServer.class.getName(),
            serverArgs,
            dir.resolve("functions-ours.log")));
    for (FunctionServerProcess s : servers.values()) {
      s.start(Duration.ofSeconds(60));
    }
    Path module = writeModule(ingress);
    int rf = kafka.replicationFactor();
    for (int i = 1; i <= config.runtimes(); i++) {
      List<String> args =
          List.of(
              "--module", module.toString(),
              "--bootstrap-servers", kafka.bootstrapServers(),
              "--application-id", app,
              "--state-dir", dir.resolve("state").resolve("runtime-" + i).toString(),
              "--set", "replication.factor=" + rf,
              "--set", "kstatefun.replication.factor=" + rf,
              "--set", "kstatefun.partitions=" + config.partitions(),
              "--set", "kstatefun.dead.letter.topic=" + topic("dead-letters"),
              "--set", "processing.guarantee=" + config.processingGuarantee());
      List<String> all = new ArrayList<>(args);
      if (!"exactly_once_v2".equals(config.processingGuarantee())) {
        // The negative control: kstatefun refuses another guarantee unless told explicitly.
        all.addAll(List.of("--set", "kstatefun.allow.at.least.once=true"));
      }
      runtimeSettings.forEach((k, v) -> all.addAll(List.of("--set", k + "=" + v)));
      args = all;
      runtimes.add(
          new RuntimeInstance("runtime-" + i, args, dir.resolve("runtime-" + i + ".log"), "384m"));
    }
    runtimes.forEach(RuntimeInstance::start);
    for (RuntimeInstance r : runtimes) {
      if (!r.awaitRunning(Duration.ofSeconds(180))) {
        throw new IllegalStateException(
            r.name() + " did not reach RUNNING in 180 s; see " + r.log());
      }
    }
    collector =
        new EventCollector(
            kafka.bootstrapServers(), topic("events"), topic("egress"), topic("dead-letters"));
    driver = new Driver(kafka.bootstrapServers(), ingress, model, collector);
  }

  private Path writeModule(Map<FnAddress.Kind, String> ingress) throws IOException {
    StringBuilder yaml = new StringBuilder();
    for (FnAddress.Kind kind : FnAddress.Kind.values()) {
      yaml.append(
          String.join(
              "\n",
              "kind: io.statefun.endpoints.v2/http",
              "spec:",
              "  functions: chaos/" + kind.typeName(),
              "  urlPathTemplate: http://127.0.0.1:"
                  + servers.get(kind).proxy().port()
                  + "/{function.name}",
              "  onFailure: retry-forever",
              "  transport:",
              "    call: 30s",
              "    connect: 5s",
              "---",
              ""));
    }
    yaml.append(
        String.join(
            "\n",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: chaos/in",
            "  address: " + kafka.bootstrapServers(),
            "  consumerGroupId: " + app,
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + ingress.get(FnAddress.Kind.OFFICIAL),
            "      valueType: chaos/cmd",
            "      targets:",
            "        - chaos/official",
            "    - topic: " + ingress.get(FnAddress.Kind.OURS),
            "      valueType: chaos/cmd",
            "      targets:",
            "        - chaos/ours",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: chaos/out",
            "  address: " + kafka.bootstrapServers(),
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""));
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml.toString());
    return file;
  }

  private void tearDown() {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (RuntimeInstance r : runtimes) {
      stops.add(
          CompletableFuture.runAsync(
              () -> {
                if (r.isAlive()) {
                  Optional<Integer> code = r.terminate(Duration.ofSeconds(60));
                  if (code.isEmpty()) {
                    harnessViolations.add(
                        new Violation(
                            Violation.Kind.SHUTDOWN,
                            1,
                            List.of(
                                r.name()
                                    + " did not stop within 60 s of SIGTERM at the end of the round")));
                  }
                }
              }));
    }
    stops.forEach(CompletableFuture::join);
    runtimes.forEach(RuntimeInstance::close);
    servers.values().forEach(FunctionServerProcess::close);
    if (driver != null) {
      driver.close();
    }
    if (collector != null) {
      collector.close();
    }
    kafka.deleteTopicsWithPrefix(app);
    deleteRecursively(dir.resolve("state"));
  }

  private List<Violation> mergeHarnessViolations() {
    Map<Violation.Kind, List<String>> byKind = new EnumMap<>(Violation.Kind.class);
    for (Violation v : harnessViolations) {
      byKind.computeIfAbsent(v.kind(), k -> new ArrayList<>()).addAll(v.examples());
    }
    List<Violation> out = new ArrayList<>();
    byKind.forEach((k, examples) -> out.add(new Violation(k, examples.size(), examples)));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Phases

  private void warmUp() {
    long start = System.currentTimeMillis();
    long deadline = start + 180_000;
    while (!collector.probesProgressedSince(probeNames, start)) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "warm-up: probes "
                + collector.laggingProbes(probeNames, start)
                + " got no answer within 180 s");
      }
      probes.forEach(driver::probe);
      sleep(1_000);
    }
    log("warmed up in " + (System.currentTimeMillis() - start) + " ms");
  }

  private void probeLoop(AtomicBoolean probing) {
    while (probing.get()) {
      probes.forEach(driver::probe);
      sleep(config.probeInterval().toMillis());
    }
  }

  private Long awaitConvergence(ShadowModel model, long start) {
    long deadline = start + config.convergeBound().toMillis();
    while (true) {
      Map<Long, Integer> applied = collector.appliedUids();
      long missing =
          model.delivered().keySet().stream().filter(uid -> !applied.containsKey(uid)).count();
      if (missing == 0) {
        return System.currentTimeMillis() - start;
      }
      if (System.currentTimeMillis() > deadline) {
        log(missing + " expected messages still missing");
        return null;
      }
      sleep(250);
    }
  }

  private void verifyCounters(ShadowModel model) {
    Map<String, Long> verifyUids = new java.util.HashMap<>();
    for (FnAddress a : model.counts().keySet()) {
      verifyUids.put(a.toString(), driver.verify(a));
    }
    driver.flush();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (verifyUids.values().stream().allMatch(collector::applied)) {
        return;
      }
      sleep(250);
    }
    log("not every verification was answered within 60 s");
  }

  private void awaitCancelledDueTimes(ShadowModel model) {
    Map<String, List<FunctionEvent>> events = collector.eventsByAddress();
    Map<Long, Long> ts = new java.util.HashMap<>();
    events
        .values()
        .forEach(
            l ->
                l.forEach(
                    e -> {
                      if (e.isApplied()) {
                        ts.putIfAbsent(e.uid(), e.ts());
                      }
                    }));
    long latestDue = 0;
    for (ShadowModel.Cancelled c : model.cancelled().values()) {
      Long scheduled = ts.get(c.scheduledBy());
      if (scheduled != null) {
        latestDue = Math.max(latestDue, scheduled + c.delayMs());
      }
    }
    long waitUntil = Math.min(latestDue + 5_000, System.currentTimeMillis() + 120_000);
    if (waitUntil > System.currentTimeMillis()) {
      log(
          "waiting "
              + (waitUntil - System.currentTimeMillis())
              + " ms past the due time of the cancelled messages");
      sleepUntil(waitUntil);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  private void runFaults(FaultPlan plan, List<FaultRecord> records) {
    for (FaultPlan.Fault fault : plan.faults()) {
      sleepUntil(loadStartMs + fault.atMs());
      try {
        FaultRecord record = inject(fault);
        records.add(record);
        if (!record.recovered()) {
          int left = plan.faults().size() - records.size();
          log(
              "no progress after "
                  + record.kind()
                  + ": skipping the "
                  + left
                  + " remaining fault(s)");
          return;
        }
      } catch (RuntimeException e) {
        log("fault " + fault + " failed: " + e);
        throw e;
      }
    }
  }

  private FaultRecord inject(FaultPlan.Fault fault) {
    long injectedAt = sinceLoad();
    String target;
    StringBuilder detail = new StringBuilder();
    log("inject " + fault);
    switch (fault.kind()) {
      case RUNTIME_KILL -> {
        RuntimeInstance r = runtimes.get(fault.target());
        target = r.name();
        r.kill();
        sleep(fault.holdMs());
        r.start();
        detail.append("down ").append(fault.holdMs()).append(" ms");
      }
      case RUNTIME_SIGTERM -> {
        RuntimeInstance r = runtimes.get(fault.target());
        target = r.name();
        long t = System.currentTimeMillis();
        Optional<Integer> code = r.terminate(Duration.ofSeconds(60));
        detail
            .append(code.map(c -> "exit code " + c).orElse("did not stop in 60 s, killed"))
            .append(" after ")
            .append(System.currentTimeMillis() - t)
            .append(" ms");
        if (code.isEmpty() || (code.get() != 0 && code.get() != 143)) {
          harnessViolations.add(
              new Violation(
                  Violation.Kind.SHUTDOWN, 1, List.of(r.name() + " after SIGTERM: " + detail)));
        }
        sleep(fault.holdMs());
        r.start();
      }
      case BROKER_KILL -> {
        target = "broker-" + fault.target();
        kafka.killBroker(fault.target());
        sleep(fault.holdMs());
        kafka.startBroker(fault.target());
        detail.append("down ").append(fault.holdMs()).append(" ms");
      }
      case FUNCTION_KILL -> {
        FunctionServerProcess s = server(fault.target());
        target = s.name();
        s.kill();
        sleep(fault.holdMs());
        s.start(Duration.ofSeconds(60));
        detail.append("down ").append(fault.holdMs()).append(" ms");
      }
      case FUNCTION_STALL -> {
        FunctionServerProcess s = server(fault.target());
        target = s.name();
        s.stall(fault.param());
        sleep(fault.holdMs());
        s.stall(0);
        detail
            .append("answers ")
            .append(fault.param())
            .append(" ms late for ")
            .append(fault.holdMs())
            .append(" ms");
      }
      case HTTP_500_BURST -> {
        FunctionServerProcess s = server(fault.target());
        target = s.name();
        s.failNext((int) fault.param());
        detail.append(fault.param()).append(" x HTTP 500");
      }
      case PROXY_DELAY -> {
        FunctionServerProcess s = server(fault.target());
        target = s.proxy().toString();
        s.proxy().delay(fault.param());
        sleep(fault.holdMs());
        s.proxy().pass();
        detail
            .append("+")
            .append(fault.param())
            .append(" ms per chunk for ")
            .append(fault.holdMs())
            .append(" ms");
      }
      case PROXY_DROP -> {
        FunctionServerProcess s = server(fault.target());
        target = s.proxy().toString();
        int open = s.proxy().openConnections();
        s.proxy().drop();
        sleep(fault.holdMs());
        s.proxy().pass();
        detail
            .append("reset ")
            .append(open)
            .append(" open connection(s), refused new ones for ")
            .append(fault.holdMs())
            .append(" ms");
      }
      default -> throw new IllegalStateException("unknown fault " + fault.kind());
    }
    long healedAtAbs = System.currentTimeMillis();
    long healedAt = healedAtAbs - loadStartMs;
    Long recovery = awaitRecovery(healedAtAbs, config.recoveryBound(fault.kind()));
    if (recovery != null) {
      detail.append(", slowest probe ").append(slowestProbe(healedAtAbs));
    }
    if (recovery == null) {
      List<String> lagging = collector.laggingProbes(probeNames, healedAtAbs);
      harnessViolations.add(
          new Violation(
              Violation.Kind.NO_PROGRESS,
              1,
              List.of(
                  "after "
                      + fault.kind()
                      + " "
                      + target
                      + " (healed at +"
                      + healedAt
                      + " ms) probes "
                      + lagging
                      + " made no progress within "
                      + config.recoveryBound(fault.kind()).toSeconds()
                      + " s")));
    }
    if (fault.kind() == FaultPlan.Kind.BROKER_KILL) {
      long t = System.currentTimeMillis();
      kafka.awaitFullyReplicated(Duration.ofMinutes(3));
      detail
          .append(", fully replicated again after ")
          .append(System.currentTimeMillis() - t)
          .append(" ms more");
    }
    FaultRecord record =
        new FaultRecord(
            fault.kind().name(),
            target,
            fault.atMs(),
            injectedAt,
            healedAt,
            recovery,
            recovery == null ? null : healedAt + recovery - injectedAt,
            detail.toString());
    log("  " + record);
    return record;
  }

  /** Which probe progressed last after {@code sinceMs}: when it was sent, applied and read. */
  private String slowestProbe(long sinceMs) {
    String worst = null;
    long[] worstTimes = null;
    for (String p : probeNames) {
      long[] t = collector.firstProbeSince(p, sinceMs);
      if (t != null && (worstTimes == null || t[2] > worstTimes[2])) {
        worst = p;
        worstTimes = t;
      }
    }
    if (worstTimes == null) {
      return "-";
    }
    return worst
        + " (sent +"
        + (worstTimes[0] - sinceMs)
        + " ms, applied +"
        + (worstTimes[1] - sinceMs)
        + " ms, read +"
        + (worstTimes[2] - sinceMs)
        + " ms after healing)";
  }

  private FunctionServerProcess server(int index) {
    return servers.get(FnAddress.Kind.values()[index]);
  }

  private Long awaitRecovery(long healedAtAbs, Duration bound) {
    long deadline = healedAtAbs + bound.toMillis();
    long nextDump = healedAtAbs + THREAD_DUMP_AFTER_MS;
    while (System.currentTimeMillis() < deadline) {
      if (collector.probesProgressedSince(probeNames, healedAtAbs)) {
        return System.currentTimeMillis() - healedAtAbs;
      }
      if (System.currentTimeMillis() > nextDump) {
        dumpRuntimeThreads();
        nextDump += 3 * THREAD_DUMP_AFTER_MS; // at +30 s, +120 s, +210 s...
      }
      sleep(100);
    }
    return null;
  }

  /** Slow recoveries get thread dumps of the runtimes, every this often. */
  private static final long THREAD_DUMP_AFTER_MS = 30_000;

  /** Writes {@code jcmd <pid> Thread.print} of every live runtime into the round's directory. */
  private void dumpRuntimeThreads() {
    for (RuntimeInstance r : runtimes) {
      long pid = r.pid();
      if (pid < 0) {
        continue;
      }
      Path file = dir.resolve(r.name() + "-threads-" + sinceLoad() + ".txt");
      try {
        Process p =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid),
                    "Thread.print")
                .redirectErrorStream(true)
                .redirectOutput(file.toFile())
                .start();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (IOException e) {
        log("cannot dump the threads of " + r.name() + ": " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    log("slow recovery: thread dumps of the runtimes written to " + dir);
  }

  // ---------------------------------------------------------------------------------------------

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void sleep(long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void sleepUntil(long epochMs) {
    sleep(epochMs - System.currentTimeMillis());
  }

  private static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      walk.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
