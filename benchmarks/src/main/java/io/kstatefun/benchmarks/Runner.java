package io.kstatefun.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link RunSpec}: deploys the system under test, warms it up, drives the measured phase
 * and returns the result as an ordered map (one JSON line).
 */
final class Runner {

  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration QUIET = Duration.ofSeconds(2);

  private final Environment env;
  private final double quietCores;
  private final long quietWaitS;

  /**
   * @param quietCores before measuring, wait until the machine's CPU use over 3 s is at most this
   *     many cores (other people's builds included); 0 disables waiting
   * @param quietWaitS wait at most this long, then measure anyway
   */
  Runner(Environment env, double quietCores, long quietWaitS) {
    this.env = env;
    this.quietCores = quietCores;
    this.quietWaitS = quietWaitS;
  }

  /** Waits for a quiet machine; returns {waited seconds, busy cores of the last sample}. */
  private double[] awaitQuiet() throws InterruptedException {
    long start = System.nanoTime();
    double busy;
    while (true) {
      ProcStats.MachineCpu a = ProcStats.machineCpu();
      long t0 = System.nanoTime();
      Thread.sleep(3000);
      ProcStats.MachineCpu b = ProcStats.machineCpu();
      busy = (b.busyNanos() - a.busyNanos()) / (double) (System.nanoTime() - t0);
      double waited = (System.nanoTime() - start) / 1e9;
      if (quietCores <= 0 || busy <= quietCores || waited >= quietWaitS) {
        if (waited > 5) {
          Bench.log(
              String.format("  waited %.0f s for a quiet machine (%.2f cores busy)", waited, busy));
        }
        return new double[] {waited, busy};
      }
    }
  }

  /** A CPU snapshot of every accounted process plus the machine. */
  private record CpuSnapshot(
      long atNanos, Map<String, Long> cpuNanos, ProcStats.MachineCpu machine) {
    static CpuSnapshot take(Map<String, Long> pids) {
      Map<String, Long> cpu = new LinkedHashMap<>();
      pids.forEach((name, pid) -> cpu.put(name, ProcStats.cpuNanos(pid)));
      return new CpuSnapshot(System.nanoTime(), cpu, ProcStats.machineCpu());
    }
  }

  Map<String, Object> run(RunSpec spec) throws Exception {
    String app =
        "bench-"
            + spec.workload().label()
            + "-"
            + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ts", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    out.put("label", spec.label());
    out.put("system", spec.systemLabel());
    out.put("workload", spec.workload().label());
    out.put("mode", spec.mode().name().toLowerCase(java.util.Locale.ROOT));
    out.put("keys", spec.keys());
    if (spec.workload() == Workload.CHAIN || spec.workload() == Workload.SAME_ID_CHAIN) {
      out.put("hops", spec.hops());
    }
    if (spec.workload() == Workload.FANOUT) {
      out.put("fanout", spec.fanout());
    }
    out.put("partitions", spec.partitions());
    out.put("load_before", ProcStats.loadAverages());
    Bench.log(
        "run "
            + spec.label()
            + " ("
            + app
            + "): "
            + spec.workload().label()
            + " "
            + spec.mode()
            + " keys="
            + spec.keys()
            + (spec.settings().isEmpty() ? "" : " " + spec.settings()));

    try (Deployment deployment = new Deployment(env, spec, app);
        LoadDriver driver =
            new LoadDriver(
                env.bootstrap(), deployment.ingressTopic(), deployment.egressTopic(), spec)) {
      Map<String, Long> pids = deployment.pids();

      // Warm-up: JIT, connections, state handshakes; verified, not measured.
      long warmupStart = System.nanoTime();
      if (spec.warmupS() > 0) {
        driver.sendAtRate(spec.warmupRate(), spec.warmupS(), warmupStart, () -> false);
        driver.flush();
        if (!driver.awaitAll(DRAIN_TIMEOUT)) {
          Bench.log("warm-up output incomplete: " + driver.received() + " of " + driver.expected());
        }
      }
      double[] quiet = awaitQuiet();
      out.put("quiet_wait_s", round(quiet[0], 0));
      out.put("busy_cores_before", round(quiet[1], 2));
      out.put("load_at_start", ProcStats.loadAverages());
      Map<String, Object> statsBefore = deployment.systemStats(false);

      CpuSnapshot cpuStart = CpuSnapshot.take(pids);
      long measureStart = System.nanoTime();
      long measureEnd;
      List<Map<String, Object>> steps = null;
      switch (spec.mode()) {
        case RATE -> {
          measureEnd = driver.sendAtRate(spec.rate(), spec.durationS(), measureStart, () -> false);
          out.put("rate", spec.rate());
          out.put("duration_s", spec.durationS());
        }
        case BURST -> {
          measureStart = driver.sendBurst(spec.burstCount());
          measureEnd = System.nanoTime();
          out.put("burst", spec.burstCount());
          out.put("burst_send_s", round((measureEnd - measureStart) / 1e9, 2));
        }
        case LADDER -> {
          steps = new ArrayList<>();
          measureEnd = ladder(spec, driver, measureStart, steps);
        }
        case FRESH -> {
          // No JVM kept from earlier runs: the clock starts when the new runtime JVM is launched,
          // and the driver sends from then on (records wait in the ingress topic until the
          // instance runs, as they would for an instance replacing a failed one).
          env.closeRuntimeHost();
          FutureTask<Long> started =
              new FutureTask<>(
                  () -> {
                    deployment.startFresh();
                    return System.nanoTime();
                  });
          Thread starter = new Thread(started, "fresh-start-" + app);
          starter.setDaemon(true);
          measureStart = System.nanoTime();
          starter.start();
          measureEnd = driver.sendAtRate(spec.rate(), spec.durationS(), measureStart, () -> false);
          long readyAt;
          try {
            readyAt = started.get(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw new IllegalStateException("fresh runtime did not start: " + e.getCause(), e);
          }
          out.put("rate", spec.rate());
          out.put("duration_s", spec.durationS());
          out.put("runtime_ready_s", round((readyAt - measureStart) / 1e9, 2));
        }
        default -> throw new IllegalStateException();
      }
      driver.flush();
      // A big burst may take long to drain: allow at least 500 msg/s.
      Duration drain =
          spec.mode() == RunSpec.Mode.BURST
              ? Duration.ofSeconds(
                  Math.max(
                      DRAIN_TIMEOUT.toSeconds(), spec.burstCount() * spec.streamsPerKey() / 500))
              : DRAIN_TIMEOUT;
      boolean complete = driver.awaitAll(drain);
      LatencyRecorder.Window window = driver.latencies().window(measureStart, measureEnd);
      long lastArrival = window.lastArrivalNanos();
      CpuSnapshot cpuEnd = CpuSnapshot.take(pids);
      driver.quiet(QUIET);
      Map<String, Object> statsAfter = deployment.systemStats(false);
      Map<String, Object> gcStats = deployment.systemStats(true);
      ExactlyOnceVerifier.Result verdict = driver.finish();

      long records = window.count();
      double spanS =
          lastArrival == Long.MIN_VALUE ? Double.NaN : (lastArrival - measureStart) / 1e9;
      if (spec.mode() != RunSpec.Mode.LADDER) {
        out.put(
            "messages",
            spec.mode() == RunSpec.Mode.BURST
                ? spec.burstCount()
                : Math.round(spec.rate() * spec.durationS()));
        out.put("egress_records", records);
        out.put("throughput", round(records / spanS, 0));
      }
      if (steps != null) {
        if (spec.ladder().fixedSteps()) {
          out.put("fixed_steps", true);
        }
        out.put("steps", steps);
        double sustained = 0;
        for (Map<String, Object> s : steps) {
          if (!(Boolean) s.get("ok")) {
            break;
          }
          sustained = ((Number) s.get("rate")).doubleValue();
        }
        out.put("sustained", sustained);
        out.put(
            "max_achieved",
            steps.stream()
                .mapToDouble(s -> ((Number) s.get("achieved")).doubleValue())
                .max()
                .orElse(0));
      }
      out.put("p50_ms", round(window.percentileMs(0.50), 1));
      out.put("p90_ms", round(window.percentileMs(0.90), 1));
      out.put("p99_ms", round(window.percentileMs(0.99), 1));
      out.put("p999_ms", round(window.percentileMs(0.999), 1));
      out.put("max_ms", round(window.maxMs(), 1));
      out.put("max_send_lag_ms", round(driver.maxSendLagMs(), 1));
      if (spec.mode() == RunSpec.Mode.FRESH) {
        out.put(
            "stable_after_s",
            FreshStart.stableAfterS(
                driver.latencies(),
                measureStart,
                spec.durationS(),
                spec.rate(),
                FreshStart.TARGET_P99_MS));
        out.put(
            "windows",
            FreshStart.windows(driver.latencies(), measureStart, spec.durationS(), 5, spec.rate()));
        long runtimePid = deployment.systemPid();
        if (runtimePid > 0) {
          // The runtime JVM is not in the CPU snapshots (it started after the first one).
          out.put("runtime_cpu_s_since_launch", round(ProcStats.cpuNanos(runtimePid) / 1e9, 1));
          out.put("runtime_cpu_s_by_threads", FreshStart.cpuByThreadGroup(runtimePid));
        }
      }

      // CPU over the measured window.
      double windowS = (cpuEnd.atNanos() - cpuStart.atNanos()) / 1e9;
      Map<String, Object> cpu = new LinkedHashMap<>();
      long ours = 0;
      for (String name : cpuStart.cpuNanos().keySet()) {
        long d = cpuEnd.cpuNanos().get(name) - cpuStart.cpuNanos().get(name);
        ours += d;
        cpu.put(name, round(d / 1e9, 1));
      }
      cpu.put("total", round(ours / 1e9, 1));
      out.put("cpu_s", cpu);
      out.put("cpu_window_s", round(windowS, 1));
      out.put("cpu_cores_used", round(ours / 1e9 / windowS, 2));
      long machineBusy = cpuEnd.machine().busyNanos() - cpuStart.machine().busyNanos();
      out.put("foreign_cpu_cores", round(Math.max(0, machineBusy - ours) / 1e9 / windowS, 2));
      if (records > 0 && ours > 0) {
        out.put("cpu_us_per_msg", round(ours / 1e3 / records, 0));
      }

      long deadLettered = number(statsAfter, "dead_lettered");
      long errors =
          driver.sendErrors()
              + verdict.foreign()
              + deadLettered
              + (driver.readerFailure() == null ? 0 : 1);
      out.put("errors", errors);
      if (spec.system() == SystemKind.RESTATE) {
        // Restate's egress is a side effect inside ctx.run: at-least-once by design (see
        // benchmarks/peers/restate/service.js). Duplicates are reported, not hidden.
        out.put("delivery", "at-least-once");
      }
      out.put("exactly_once_ok", complete && verdict.exactlyOnce() && errors == 0);
      out.put("expected", verdict.expected());
      out.put("received", verdict.received());
      out.put("missing", verdict.missing());
      out.put("duplicates", verdict.duplicates());
      out.put("state_mismatches", verdict.stateMismatches());
      if (!verdict.examples().isEmpty()) {
        out.put("problems", verdict.examples());
      }
      if (driver.readerFailure() != null) {
        out.put("reader_failure", String.valueOf(driver.readerFailure()));
      }

      long pid = deployment.systemPid();
      if (pid > 0) {
        out.put("rss_mb", round(ProcStats.rssKb(pid) / 1024.0, 0));
        out.put("peak_rss_mb", round(ProcStats.peakRssKb(pid) / 1024.0, 0));
      }
      if (!gcStats.isEmpty()) {
        out.put("heap_live_mb", gcStats.get("heap_used_mb"));
        out.put("heap_max_mb", gcStats.get("heap_max_mb"));
      }
      out.put("runtime", delta(statsBefore, statsAfter));
      out.put("load_after", ProcStats.loadAverages());
      out.put("settings", deployment.effectiveSettings());
      return out;
    }
  }

  /** Runs the ladder's steps back to back; returns the intended end of the last step. */
  private long ladder(RunSpec spec, LoadDriver driver, long start, List<Map<String, Object>> steps)
      throws InterruptedException {
    RunSpec.Ladder l = spec.ladder();
    long stepStart = start;
    List<double[]> pending = new ArrayList<>(); // {rate, startNanos, endNanos}
    List<Double> rates = l.fixedSteps() ? l.rates() : new ArrayList<>();
    if (!l.fixedSteps()) {
      for (double rate = l.start(); rate <= l.max(); rate *= l.factor()) {
        rates.add(rate);
      }
    }
    for (double rate : rates) {
      double r = Math.round(rate);
      long stepEnd = driver.sendAtRate(r, l.stepS(), stepStart, () -> false);
      pending.add(new double[] {r, stepStart, stepEnd});
      // The previous step's messages had a whole step to come out: judge it now. Fixed steps
      // all run anyway: they are judged after the drain, when all their output is in.
      if (pending.size() >= 2 && !l.fixedSteps()) {
        double[] prev = pending.get(pending.size() - 2);
        if (!judge(spec, driver, prev, steps, false) && !l.fixedSteps()) {
          break;
        }
      }
      long backlog = driver.expected() - driver.received();
      if (!l.fixedSteps() && backlog > r * spec.streamsPerKey() * 5) {
        Bench.log("ladder: backlog " + backlog + " at " + r + " msg/s, stopping");
        break;
      }
      stepStart = stepEnd;
    }
    driver.flush();
    driver.awaitAll(DRAIN_TIMEOUT);
    // Judge the steps not judged yet.
    for (int i = steps.size(); i < pending.size(); i++) {
      judge(spec, driver, pending.get(i), steps, true);
    }
    return (long) pending.get(pending.size() - 1)[2];
  }

  private boolean judge(
      RunSpec spec,
      LoadDriver driver,
      double[] step,
      List<Map<String, Object>> steps,
      boolean drained) {
    double rate = step[0];
    long from = (long) step[1];
    long to = (long) step[2];
    LatencyRecorder.Window w = driver.latencies().window(from, to);
    long expected = Math.round(rate * spec.ladder().stepS()) * spec.streamsPerKey();
    double span =
        w.lastArrivalNanos() == Long.MIN_VALUE ? Double.NaN : (w.lastArrivalNanos() - from) / 1e9;
    boolean allOut = w.count() >= expected;
    double p99 = w.percentileMs(0.99);
    boolean ok = allOut && p99 <= spec.ladder().maxP99Ms();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("rate", rate * spec.streamsPerKey());
    s.put("achieved", round(w.count() / Math.max(span, spec.ladder().stepS()), 0));
    s.put("p50_ms", round(w.percentileMs(0.5), 1));
    s.put("p99_ms", round(p99, 1));
    s.put("max_ms", round(w.maxMs(), 1));
    s.put("out", w.count());
    s.put("ok", ok);
    steps.add(s);
    Bench.log(
        String.format(
            "  step %.0f msg/s: p50 %.1f ms, p99 %.1f ms, %d/%d out%s",
            rate, w.percentileMs(0.5), p99, w.count(), expected, ok ? "" : " -> not sustained"));
    return ok;
  }

  private static Map<String, Object> delta(Map<String, Object> before, Map<String, Object> after) {
    Map<String, Object> d = new LinkedHashMap<>();
    after.forEach(
        (k, v) -> {
          Object b = before.get(k);
          if (v instanceof Number n
              && b instanceof Number bn
              && (k.endsWith("total")
                  || k.equals("batches")
                  || k.equals("batch_messages")
                  || k.startsWith("routed")
                  || k.startsWith("http")
                  || k.startsWith("gc")
                  || k.equals("batch_retries")
                  || k.equals("dead_lettered"))) {
            d.put(k, n.longValue() - bn.longValue());
          } else {
            d.put(k, v);
          }
        });
    Object batches = d.get("batches");
    Object messages = d.get("batch_messages");
    if (batches instanceof Number b && messages instanceof Number m && b.longValue() > 0) {
      d.put("avg_batch", round(m.doubleValue() / b.doubleValue(), 2));
    }
    return d;
  }

  private static long number(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof Number n ? n.longValue() : 0;
  }

  static double round(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    double f = Math.pow(10, decimals);
    return Math.round(v * f) / f;
  }
}
