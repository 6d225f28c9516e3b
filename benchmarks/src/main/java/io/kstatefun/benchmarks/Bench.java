package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark command line ({@code bin/kstatefun-bench}). See the README's Performance section.
 *
 * <pre>
 * suite [--runs 3] [--quick] [--only l1,l2] [--set k=v]... [environment options]
 * run --workload W [--keys N] [--mode rate|ladder|burst] [--rate R] [--duration S] ... [environment options]
 * jfr-top FILE [--top N] [--package P]
 * </pre>
 *
 * <p>Results are JSON lines on standard output (also appended to {@code <work-dir>/results.jsonl});
 * progress goes to standard error.
 */
public final class Bench {

  static final String USAGE = String.join("\n",
      "usage: kstatefun-bench suite [--runs 3] [--quick] [--only LABEL,...] [--set KEY=VALUE]... [ENV]",
      "       kstatefun-bench run --workload counter|chain|same-id-chain|fanout|slow|large-state|baseline",
      "           [--keys 64] [--hops 3] [--fanout 10] [--partitions 8] [--mode rate|ladder|burst]",
      "           [--rate 500] [--duration 30] [--warmup 10] [--warmup-rate R] [--burst 200000]",
      "           [--ladder-start 1000] [--ladder-factor 1.25] [--ladder-step 10] [--ladder-max-p99 1000]",
      "           [--repeat 1] [--jit-warmup 20] [--label L] [--jfr] [--set KEY=VALUE]... [--variant K=V,K=V]... [--with-baseline] [ENV]",
      "       kstatefun-bench jfr-top FILE [--top 25] [--package io.kstatefun]",
      "ENV:   [--work-dir DIR] [--bootstrap HOST:PORT | --broker-inproc] [--functions-url URL --egress-topic T]",
      "       [--attach-runtime --ingress-topic T --egress-topic T] [--runtime-inproc] [--pid NAME=PID]...",
      "       [--runtime-jvm \"-Xmx1g ...\"] [--quiet-cores C] [--quiet-wait S]",
      "       --quiet-cores: before measuring, wait (up to --quiet-wait s) until the machine uses at most C cores",
      "       (suite default 0.5 for up to 900 s; run default: no waiting)");

  private static final ObjectMapper JSON = new ObjectMapper();

  private Bench() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
      System.out.println(USAGE);
      return;
    }
    int code;
    try {
      if (argv[0].equals("jfr-top")) {
        System.exit(JfrTop.run(argv));
      }
      Args args = new Args(Arrays.asList(argv).subList(1, argv.length));
      code = switch (argv[0]) {
        case "suite" -> suite(args);
        case "run" -> run(args);
        case "functions" -> Children.functions(args);
        case "runtime-host" -> Children.runtimeHost(args);
        case "baseline-host" -> Children.baselineHost(args);
        default -> {
          System.err.println("unknown command '" + argv[0] + "'\n" + USAGE);
          yield 2;
        }
      };
    } catch (IllegalArgumentException e) {
      System.err.println("kstatefun-bench: " + e.getMessage() + "\n" + USAGE);
      code = 2;
    }
    System.exit(code);
  }

  static void log(String s) {
    System.err.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + s);
  }

  private static Environment.Options environmentOptions(Args args) throws IOException {
    Path work = args.has("--work-dir")
        ? Path.of(args.value("--work-dir", null))
        : Files.createTempDirectory("kstatefun-bench");
    Map<String, Long> pids = new LinkedHashMap<>();
    for (String p : args.all("--pid")) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--pid expects NAME=PID, got '" + p + "'");
      }
      pids.put(p.substring(0, eq), Long.parseLong(p.substring(eq + 1)));
    }
    boolean attach = args.flag("--attach-runtime");
    String functionsUrl = args.value("--functions-url", null);
    String egress = args.value("--egress-topic", null);
    String ingress = args.value("--ingress-topic", null);
    if (attach && (ingress == null || egress == null)) {
      throw new IllegalArgumentException("--attach-runtime needs --ingress-topic and --egress-topic");
    }
    if (functionsUrl != null && !attach) {
      throw new IllegalArgumentException(
          "--functions-url attaches to a running set-up: use it with --attach-runtime (the function server "
              + "must write to the runtime's egress topic)");
    }
    List<String> jvm = List.of(args.value("--runtime-jvm", "-Xms1g -Xmx1g -XX:+UseG1GC").trim().split("\\s+"));
    return new Environment.Options(work.toAbsolutePath(), args.value("--bootstrap", null), args.flag("--broker-inproc"),
        functionsUrl, attach, args.flag("--runtime-inproc"), ingress, egress, pids, jvm);
  }

  private static int suite(Args args) throws Exception {
    int runs = (int) args.longValue("--runs", 3);
    double quietCores = args.doubleValue("--quiet-cores", 0.5);
    long quietWaitS = args.longValue("--quiet-wait", 900);
    boolean quick = args.flag("--quick");
    List<String> only = args.has("--only") ? List.of(args.value("--only", "").split(",")) : List.of();
    Map<String, String> settings = args.settings();
    Environment.Options options = environmentOptions(args);
    args.rejectUnused();
    List<Suite.Entry> entries = new ArrayList<>();
    for (Suite.Entry e : Suite.entries(quick, settings)) {
      if (only.isEmpty() || only.stream().anyMatch(o -> e.label().equals(o) || e.label().startsWith(o + "-") && !o.isEmpty())) {
        entries.add(e);
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    log("suite: " + entries.size() + " entries x " + runs + " rounds; load average " + ProcStats.loadAverages());
    String loadBefore = ProcStats.loadAverages();
    try (Environment env = new Environment(options)) {
      Runner runner = new Runner(env, quietCores, quietWaitS);
      jitWarmup(runner, env, quick ? 15 : 40, settings);
      for (int round = 1; round <= runs; round++) {
        Map<String, Map<String, Object>> thisRound = new LinkedHashMap<>();
        for (Suite.Entry e : entries) {
          RunSpec spec = e.spec().apply(thisRound);
          if (spec == null) {
            log("skipping " + e.label() + " (depends on a run that failed)");
            continue;
          }
          Map<String, Object> r = runSafely(runner, spec);
          r.put("round", round);
          thisRound.put(e.label(), r);
          results.add(r);
          emit(env, r);
        }
      }
      String table = Suite.table(Suite.byLabel(results));
      String header = "Medians of " + runs + " round(s); load average before " + loadBefore + ", after " + ProcStats.loadAverages();
      System.err.println("\n" + header + "\n" + table);
      Files.writeString(env.workDir().resolve("summary.md"), header + "\n\n" + table, StandardCharsets.UTF_8);
    }
    return 0;
  }

  private static int run(Args args) throws Exception {
    Workload workload = Workload.parse(args.value("--workload", "counter"));
    RunSpec.Ladder d = RunSpec.Ladder.defaults();
    RunSpec.Builder b = RunSpec.builder(args.value("--label", workload.label()), workload)
        .keys((int) args.longValue("--keys", 64))
        .hops((int) args.longValue("--hops", 3))
        .fanout((int) args.longValue("--fanout", 10))
        .partitions((int) args.longValue("--partitions", 8))
        .jfr(args.flag("--jfr"))
        .settings(args.settings());
    RunSpec.Mode mode = RunSpec.Mode.parse(args.value("--mode", "rate"));
    switch (mode) {
      case RATE -> b.rate(args.doubleValue("--rate", 500)).duration(args.doubleValue("--duration", 30));
      case BURST -> b.burst(args.longValue("--burst", 200_000));
      case LADDER -> b.ladder(new RunSpec.Ladder(
          args.doubleValue("--ladder-start", d.start()), args.doubleValue("--ladder-factor", d.factor()),
          args.doubleValue("--ladder-step", d.stepS()), args.doubleValue("--ladder-max", d.max()),
          args.doubleValue("--ladder-max-p99", d.maxP99Ms())));
      default -> throw new IllegalStateException();
    }
    double warmupS = args.doubleValue("--warmup", 10);
    b.warmup(warmupS, args.doubleValue("--warmup-rate", mode == RunSpec.Mode.RATE ? Math.min(500, args.doubleValue("--rate", 500)) : 500));
    int repeat = (int) args.longValue("--repeat", 1);
    double quietCores = args.doubleValue("--quiet-cores", 0);
    long quietWaitS = args.longValue("--quiet-wait", 600);
    List<String> variants = args.all("--variant");
    long jitWarmupS = args.longValue("--jit-warmup", 20);
    boolean withBaseline = args.flag("--with-baseline");
    Environment.Options options = environmentOptions(args);
    args.rejectUnused();
    RunSpec spec = b.build();
    // Variants: the same run with other settings ("k=v,k=v"); each round runs all of them in turn.
    List<RunSpec> specs = new ArrayList<>();
    for (String v : variants.isEmpty() ? List.of("") : variants) {
      Map<String, String> more = new LinkedHashMap<>();
      for (String kv : v.isBlank() ? new String[0] : v.split(",")) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--variant expects k=v[,k=v...], got '" + v + "'");
        }
        more.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
      String label = v.isBlank() ? spec.label() : spec.label() + " [" + v + "]";
      specs.add(spec.withSettings(more).withLabel(label));
      if (withBaseline && workload != Workload.BASELINE) {
        specs.add(spec.withSettings(more).withWorkload(Workload.BASELINE).withLabel(label + " baseline"));
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    try (Environment env = new Environment(options)) {
      Runner runner = new Runner(env, quietCores, quietWaitS);
      jitWarmup(runner, env, jitWarmupS, spec.settings());
      for (int i = 1; i <= repeat; i++) {
        for (RunSpec s : specs) {
          Map<String, Object> r = runSafely(runner, s);
          r.put("round", i);
          results.add(r);
          emit(env, r);
        }
      }
      if (results.size() > 1) {
        System.err.println("\n" + Suite.table(Suite.byLabel(results)));
      }
    }
    return 0;
  }

  /**
   * Runs the counter and the baseline for a while before measuring anything, so that the long-lived
   * JVMs (broker, function server, runtime and baseline hosts) have compiled their hot code: the
   * runs then measure a warm system, as a long-running deployment is. Results are emitted with the
   * label "jit-warmup" and left out of the tables.
   */
  private static void jitWarmup(Runner runner, Environment env, long seconds, Map<String, String> settings)
      throws IOException {
    if (seconds <= 0) {
      return;
    }
    log("JIT warm-up: " + seconds + " s of counter and of baseline at 500 msg/s");
    for (Workload w : List.of(Workload.COUNTER, Workload.BASELINE)) {
      RunSpec spec = RunSpec.builder("jit-warmup", w).keys(1024).rate(500).duration(seconds).warmup(0, 500)
          .settings(settings).build();
      Map<String, Object> r = runSafely(runner, spec);
      emit(env, r);
    }
  }

  private static Map<String, Object> runSafely(Runner runner, RunSpec spec) {
    try {
      return runner.run(spec);
    } catch (Exception e) {
      log("run " + spec.label() + " failed: " + e);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("label", spec.label());
      r.put("workload", spec.workload().label());
      r.put("failed", String.valueOf(e));
      r.put("exactly_once_ok", false);
      return r;
    }
  }

  private static void emit(Environment env, Map<String, Object> result) throws IOException {
    String line = JSON.writeValueAsString(sanitize(result));
    System.out.println(line);
    System.out.flush();
    Files.writeString(env.workDir().resolve("results.jsonl"), line + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** NaN and infinities are not JSON: they become null. */
  @SuppressWarnings("unchecked")
  static Object sanitize(Object o) {
    if (o instanceof Double d && (d.isNaN() || d.isInfinite())) {
      return null;
    }
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), sanitize(v)));
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(v -> out.add(sanitize(v)));
      return out;
    }
    return o;
  }
}
