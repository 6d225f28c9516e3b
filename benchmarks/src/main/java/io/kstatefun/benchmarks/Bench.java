package io.kstatefun.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The benchmark command line ({@code bin/kstatefun-bench}, picocli). See the README's Performance
 * section and {@code kstatefun-bench help COMMAND}.
 *
 * <p>Results are JSON lines on standard output (also appended to {@code <work-dir>/results.jsonl});
 * progress goes to standard error.
 */
@Command(
    name = "kstatefun-bench",
    description =
        "Benchmarks of kstatefun and of a plain Kafka Streams baseline on a local broker.",
    subcommands = {
      Bench.SuiteCommand.class,
      Bench.RunCommand.class,
      Bench.CallCommand.class,
      Bench.JfrTopCommand.class,
      StateReadBench.class,
      HelpCommand.class,
      Bench.FunctionsHost.class,
      Bench.RuntimeHost.class,
      Bench.BaselineHost.class
    })
public final class Bench implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  private Bench() {}

  /** Without a command: the usage. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  public static void main(String[] argv) {
    System.exit(run(argv, System.out, System.err));
  }

  /** Runs a command; returns the exit code (2 for a bad command line). */
  static int run(String[] argv, PrintStream out, PrintStream err) {
    return new CommandLine(new Bench())
        .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
        .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
        .setExpandAtFiles(false)
        .execute(argv);
  }

  static void log(String s) {
    System.err.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + s);
  }

  /** Where the benchmark runs: brokers, function servers and runtimes to start or attach to. */
  static final class EnvironmentOptions {
    @Option(
        names = "--work-dir",
        paramLabel = "DIR",
        description =
            "Work files, child JVM logs, results.jsonl and summary.md. Default: a new temporary directory.")
    Path workDir;

    @Option(
        names = "--bootstrap",
        paramLabel = "HOST:PORT",
        description = "Use this broker instead of starting one.")
    String bootstrap;

    @Option(
        names = "--broker-inproc",
        description = "Run the broker in the driver's JVM instead of its own.")
    boolean brokerInProcess;

    @Option(
        names = "--functions-url",
        paramLabel = "URL",
        description = "Attach to a running function server (with --attach-runtime).")
    String functionsUrl;

    @Option(
        names = "--attach-runtime",
        description = "Attach to a running runtime (needs --ingress-topic and --egress-topic).")
    boolean attachRuntime;

    @Option(
        names = "--ingress-topic",
        paramLabel = "TOPIC",
        description = "The attached runtime's ingress topic.")
    String ingressTopic;

    @Option(
        names = "--egress-topic",
        paramLabel = "TOPIC",
        description = "The attached runtime's egress topic.")
    String egressTopic;

    @Option(names = "--runtime-inproc", description = "Run the runtime in the driver's JVM.")
    boolean runtimeInProcess;

    @Option(
        names = "--pid",
        paramLabel = "NAME=PID",
        description = "Also measure the CPU and memory of this process (repeatable).")
    Map<String, Long> pids = new LinkedHashMap<>();

    @Option(
        names = "--peer-home",
        paramLabel = "DIR",
        description =
            "Where the peers (--system restate|statefun, --peers) are installed on first use, outside "
                + "the repository. Default: ~/.cache/kstatefun-bench.")
    Path peerHome;

    @Option(
        names = "--runtime-jvm",
        paramLabel = "OPTIONS",
        defaultValue = "-Xms1g -Xmx1g -XX:+UseG1GC",
        description = "JVM options of the runtime and baseline hosts. Default: ${DEFAULT-VALUE}.")
    String runtimeJvm;

    @Option(
        names = "--fresh-jvm",
        paramLabel = "OPTIONS",
        defaultValue = FreshStart.DISTRIBUTION_JVM_OPTIONS,
        description =
            "JVM options of the runtime JVM of a fresh-start run (--mode fresh): by default those"
                + " bin/kstatefun starts a release with. Default: ${DEFAULT-VALUE}.")
    String freshJvm;

    @Option(
        names = "--no-fresh-cds",
        description =
            "Fresh-start runs without the class data sharing archive bin/kstatefun uses by default"
                + " (KSTATEFUN_CDS=off).")
    boolean noFreshCds;

    Environment.Options toOptions(CommandSpec spec) throws IOException {
      if (attachRuntime && (ingressTopic == null || egressTopic == null)) {
        throw new ParameterException(
            spec.commandLine(), "--attach-runtime needs --ingress-topic and --egress-topic");
      }
      if (functionsUrl != null && !attachRuntime) {
        throw new ParameterException(
            spec.commandLine(),
            "--functions-url attaches to a running set-up: use it with --attach-runtime (the function server "
                + "must write to the runtime's egress topic)");
      }
      Path work = workDir != null ? workDir : Files.createTempDirectory("kstatefun-bench");
      List<String> jvm = List.of(runtimeJvm.trim().split("\\s+"));
      return new Environment.Options(
          work.toAbsolutePath(),
          bootstrap,
          brokerInProcess,
          functionsUrl,
          attachRuntime,
          runtimeInProcess,
          ingressTopic,
          egressTopic,
          pids,
          jvm,
          List.of(freshJvm.trim().split("\\s+")),
          !noFreshCds,
          (peerHome != null ? peerHome : Peers.defaultHome()).toAbsolutePath());
    }
  }

  /** {@code suite}: every workload, kstatefun next to the baseline, several rounds, medians. */
  @Command(
      name = "suite",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Runs the benchmark suite: every workload, kstatefun next to the plain Kafka Streams baseline, "
              + "several rounds, a table of medians at the end.")
  static final class SuiteCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Option(
        names = "--runs",
        paramLabel = "N",
        defaultValue = "3",
        description = "Rounds. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--quick", description = "10 s phases and 100k keys instead of 1M.")
    boolean quick;

    @Option(
        names = "--only",
        paramLabel = "LABEL",
        split = ",",
        description = "Only these entries (a label or a label prefix; comma-separated).")
    List<String> only = new ArrayList<>();

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "A runtime setting for every run (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
        names = "--peers",
        paramLabel = "SYSTEM",
        split = ",",
        description =
            "Also run the perf2-* entries on these peers: restate, statefun (comma-separated). "
                + "Default: none.")
    List<String> peers = new ArrayList<>();

    @Option(
        names = "--quiet-cores",
        paramLabel = "C",
        defaultValue = "0.5",
        description =
            "Before measuring, wait until the machine uses at most C cores. Default: ${DEFAULT-VALUE}.")
    double quietCores;

    @Option(
        names = "--quiet-wait",
        paramLabel = "SECONDS",
        defaultValue = "900",
        description = "How long to wait for --quiet-cores at most. Default: ${DEFAULT-VALUE}.")
    long quietWaitS;

    @Mixin EnvironmentOptions environment = new EnvironmentOptions();

    @Override
    public Integer call() throws Exception {
      List<Suite.Entry> entries;
      try {
        List<SystemKind> systems = new ArrayList<>();
        for (String p : peers) {
          SystemKind k = SystemKind.parse(p);
          if (!k.isPeer()) {
            throw new IllegalArgumentException("--peers takes restate and statefun, not " + p);
          }
          systems.add(k);
        }
        entries = Suite.select(Suite.entries(quick, settings, systems), only);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      return suite(this, entries, environment.toOptions(spec));
    }
  }

  /** {@code call}: the HTTP API's {@code /call} at a ladder of rates (open loop). */
  @Command(
      name = "call",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Benchmarks POST /call of the HTTP API: open-loop calls to a 1-hop counter that replies to"
              + " its caller, latency from each call's intended send time; one JSON line per rate,"
              + " then the highest rate with p99 <= 1 s. Broker, function server, runtime and"
              + " driver share this JVM.")
  static final class CallCommand implements Callable<Integer> {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Option(
        names = "--rates",
        paramLabel = "N,...",
        split = ",",
        defaultValue = "200",
        description = "Calls per second, one run each. Default: ${DEFAULT-VALUE}.")
    List<Integer> rates;

    @Option(
        names = "--duration",
        paramLabel = "S",
        defaultValue = "30",
        description = "Measured seconds per rate. Default: ${DEFAULT-VALUE}.")
    int durationS;

    @Option(
        names = "--warmup",
        paramLabel = "S",
        defaultValue = "10",
        description = "Seconds of calls before measuring, per rate. Default: ${DEFAULT-VALUE}.")
    int warmupS;

    @Option(
        names = "--keys",
        paramLabel = "N",
        defaultValue = "64",
        description = "Distinct ids called. Default: ${DEFAULT-VALUE}.")
    int keys;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        defaultValue = "8",
        description = "Address partitions. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(
        names = "--bootstrap",
        paramLabel = "HOST:PORT",
        description = "Use this broker instead of starting one in this JVM.")
    String bootstrap;

    @Option(
        names = "--work-dir",
        paramLabel = "DIR",
        description = "Broker and state files. Default: a new temporary directory.")
    Path workDir;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "A runtime setting (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
      Path work = workDir != null ? workDir : Files.createTempDirectory("kstatefun-call-bench");
      CallBench.run(
          new CallBench.Options(rates, durationS, warmupS, keys, partitions, bootstrap, settings),
          work.toAbsolutePath());
      return 0;
    }
  }

  /** {@code run}: one workload, optionally repeated and with variants. */
  @Command(
      name = "run",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Runs one benchmark: a workload at a fixed rate, a ladder of rates, or a burst.")
  static final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Option(
        names = "--workload",
        paramLabel = "W",
        defaultValue = "counter",
        description =
            "counter, chain, same-id-chain, fanout, slow, large-state or baseline. Default: ${DEFAULT-VALUE}.")
    String workload;

    @Option(
        names = "--system",
        paramLabel = "S",
        defaultValue = "kstatefun",
        description =
            "kstatefun, or a peer on the same broker, driver and workload: restate (Restate 1.7, "
                + "installed from npm on first use) or statefun (StateFun 3.3.0); peers run the "
                + "counter and chain workloads. Default: ${DEFAULT-VALUE}.")
    String system;

    @Option(
        names = "--keys",
        paramLabel = "N",
        defaultValue = "64",
        description = "Default: ${DEFAULT-VALUE}.")
    int keys;

    @Option(
        names = "--hops",
        paramLabel = "N",
        defaultValue = "3",
        description = "Default: ${DEFAULT-VALUE}.")
    int hops;

    @Option(
        names = "--fanout",
        paramLabel = "N",
        defaultValue = "10",
        description = "Default: ${DEFAULT-VALUE}.")
    int fanout;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        defaultValue = "8",
        description = "Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(
        names = "--mode",
        paramLabel = "MODE",
        defaultValue = "rate",
        description =
            "rate, ladder, burst or fresh (--rate for --duration into a runtime JVM started for the"
                + " run, load from its launch, p99 per 5 s window; --warmup is ignored; the"
                + " --jit-warmup run warms only the broker and the function server). Default:"
                + " ${DEFAULT-VALUE}.")
    String mode;

    @Option(
        names = "--rate",
        paramLabel = "R",
        defaultValue = "500",
        description = "Messages per second (mode rate). Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(
        names = "--duration",
        paramLabel = "SECONDS",
        defaultValue = "30",
        description = "Measured phase (mode rate). Default: ${DEFAULT-VALUE}.")
    double duration;

    @Option(
        names = "--warmup",
        paramLabel = "SECONDS",
        defaultValue = "10",
        description = "Default: ${DEFAULT-VALUE}.")
    double warmupS;

    @Option(
        names = "--warmup-rate",
        paramLabel = "R",
        description = "Default: --rate up to 500 in mode rate, else 500.")
    Double warmupRate;

    @Option(
        names = "--burst",
        paramLabel = "N",
        defaultValue = "200000",
        description = "Messages of a burst (mode burst). Default: ${DEFAULT-VALUE}.")
    long burst;

    @Option(
        names = "--ladder-start",
        paramLabel = "R",
        defaultValue = "1000",
        description = "Default: ${DEFAULT-VALUE}.")
    double ladderStart;

    @Option(
        names = "--ladder-factor",
        paramLabel = "F",
        defaultValue = "1.25",
        description = "Default: ${DEFAULT-VALUE}.")
    double ladderFactor;

    @Option(
        names = "--ladder-step",
        paramLabel = "SECONDS",
        defaultValue = "10",
        description = "Default: ${DEFAULT-VALUE}.")
    double ladderStep;

    @Option(
        names = "--ladder-max",
        paramLabel = "R",
        defaultValue = "200000",
        description = "Default: ${DEFAULT-VALUE}.")
    double ladderMax;

    @Option(
        names = "--ladder-rates",
        paramLabel = "R,...",
        split = ",",
        description =
            "Mode ladder with fixed steps: these rates, --ladder-step seconds each, every step run "
                + "and judged (instead of start/factor/max).")
    List<Double> ladderRates = new ArrayList<>();

    @Option(
        names = "--ladder-max-p99",
        paramLabel = "MS",
        defaultValue = "1000",
        description = "The ladder stops when p99 exceeds this. Default: ${DEFAULT-VALUE}.")
    double ladderMaxP99;

    @Option(
        names = "--repeat",
        paramLabel = "N",
        defaultValue = "1",
        description = "Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(
        names = "--jit-warmup",
        paramLabel = "SECONDS",
        defaultValue = "20",
        description =
            "Counter and baseline load before measuring, so the JVMs are warm. Default: ${DEFAULT-VALUE}.")
    long jitWarmupS;

    @Option(names = "--label", paramLabel = "L", description = "Default: the workload's name.")
    String label;

    @Option(names = "--jfr", description = "Record the runtime with JFR.")
    boolean jfr;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "A runtime setting (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
        names = "--variant",
        paramLabel = "K=V,K=V",
        description =
            "The same run with these settings too; each round runs every variant (repeatable).")
    List<String> variants = new ArrayList<>();

    @Option(names = "--with-baseline", description = "Run the baseline after each variant.")
    boolean withBaseline;

    @Option(
        names = "--quiet-cores",
        paramLabel = "C",
        defaultValue = "0",
        description =
            "Before measuring, wait until the machine uses at most C cores (0: no waiting). Default: ${DEFAULT-VALUE}.")
    double quietCores;

    @Option(
        names = "--quiet-wait",
        paramLabel = "SECONDS",
        defaultValue = "600",
        description = "How long to wait for --quiet-cores at most. Default: ${DEFAULT-VALUE}.")
    long quietWaitS;

    @Mixin EnvironmentOptions environment = new EnvironmentOptions();

    @Override
    public Integer call() throws Exception {
      Workload w;
      RunSpec.Mode m;
      SystemKind s;
      try {
        w = Workload.parse(workload);
        m = RunSpec.Mode.parse(mode);
        s = SystemKind.parse(system);
        if (s.isPeer() && w != Workload.COUNTER && w != Workload.CHAIN) {
          throw new IllegalArgumentException(
              "--system " + s.label() + " runs the counter and chain workloads only");
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      return run(this, w, m, s, environment.toOptions(spec));
    }
  }

  /** {@code jfr-top FILE}: the hottest methods of a JFR recording. */
  @Command(
      name = "jfr-top",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Summarizes the CPU samples of a JFR recording: samples per thread, the hottest methods by "
              + "self and by total time.")
  static final class JfrTopCommand implements Callable<Integer> {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "FILE", description = "A JFR recording.")
    Path file;

    @Option(
        names = "--top",
        paramLabel = "N",
        defaultValue = "25",
        description = "Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(
        names = "--package",
        paramLabel = "P",
        description = "Only methods of this package prefix.")
    String pkg;

    @Option(
        names = "--thread",
        paramLabel = "NAME",
        description = "Only samples of threads whose name contains NAME.")
    String thread;

    @Override
    public Integer call() throws Exception {
      return JfrTop.run(file, top, pkg, thread);
    }
  }

  /** The function server JVM the driver starts (see {@link Children}). */
  @Command(name = "functions", hidden = true)
  static final class FunctionsHost implements Callable<Integer> {
    @Option(names = "--slow-ms", defaultValue = "50")
    long slowMs;

    @Option(names = "--state-bytes", defaultValue = "10240")
    int stateBytes;

    @Option(names = "--workers", defaultValue = "20")
    int workers;

    @Option(names = "--port", defaultValue = "0")
    int port;

    @Override
    public Integer call() throws Exception {
      return Children.functions(slowMs, stateBytes, workers, port);
    }
  }

  /** The runtime host JVM the driver starts (see {@link Children}). */
  @Command(name = "runtime-host", hidden = true)
  static final class RuntimeHost implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      return Children.runtimeHost();
    }
  }

  /** The baseline host JVM the driver starts (see {@link Children}). */
  @Command(name = "baseline-host", hidden = true)
  static final class BaselineHost implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      return Children.baselineHost();
    }
  }

  private static int suite(
      SuiteCommand args, List<Suite.Entry> entries, Environment.Options options) throws Exception {
    int runs = args.runs;
    double quietCores = args.quietCores;
    long quietWaitS = args.quietWaitS;
    boolean quick = args.quick;
    Map<String, String> settings = args.settings;
    List<Map<String, Object>> results = new ArrayList<>();
    log(
        "suite: "
            + entries.size()
            + " entries x "
            + runs
            + " rounds; load average "
            + ProcStats.loadAverages());
    String loadBefore = ProcStats.loadAverages();
    try (Environment env = new Environment(options)) {
      Runner runner = new Runner(env, quietCores, quietWaitS);
      if (entries.stream().anyMatch(Bench::isFreshStart)) {
        env.prepareFreshStarts();
      }
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
      String stepsTable = Suite.stepsTable(Suite.byLabel(results));
      if (!stepsTable.isEmpty()) {
        table = table + "\nFixed-rate steps:\n\n" + stepsTable;
      }
      String header =
          "Medians of "
              + runs
              + " round(s); load average before "
              + loadBefore
              + ", after "
              + ProcStats.loadAverages();
      System.err.println("\n" + header + "\n" + table);
      Files.writeString(
          env.workDir().resolve("summary.md"), header + "\n\n" + table, StandardCharsets.UTF_8);
    }
    return 0;
  }

  /** Whether a suite entry is a fresh-start run (entries that need earlier results are not). */
  private static boolean isFreshStart(Suite.Entry e) {
    try {
      RunSpec s = e.spec().apply(Map.of());
      return s != null && s.mode() == RunSpec.Mode.FRESH;
    } catch (RuntimeException ex) {
      return false;
    }
  }

  private static int run(
      RunCommand args,
      Workload workload,
      RunSpec.Mode mode,
      SystemKind system,
      Environment.Options options)
      throws Exception {
    String defaultLabel =
        system.isPeer() ? workload.label() + "-" + system.label() : workload.label();
    RunSpec.Builder b =
        RunSpec.builder(args.label != null ? args.label : defaultLabel, workload)
            .system(system)
            .keys(args.keys)
            .hops(args.hops)
            .fanout(args.fanout)
            .partitions(args.partitions)
            .jfr(args.jfr)
            .settings(args.settings);
    switch (mode) {
      case RATE -> b.rate(args.rate).duration(args.duration);
      case BURST -> b.burst(args.burst);
      case FRESH -> b.fresh(args.rate).duration(args.duration);
      case LADDER ->
          b.ladder(
              args.ladderRates.isEmpty()
                  ? new RunSpec.Ladder(
                      args.ladderStart,
                      args.ladderFactor,
                      args.ladderStep,
                      args.ladderMax,
                      args.ladderMaxP99)
                  : RunSpec.Ladder.steps(args.ladderRates, args.ladderStep, args.ladderMaxP99));
      default -> throw new IllegalStateException();
    }
    b.warmup(
        mode == RunSpec.Mode.FRESH ? 0 : args.warmupS,
        args.warmupRate != null
            ? args.warmupRate
            : mode == RunSpec.Mode.RATE ? Math.min(500, args.rate) : 500);
    int repeat = args.repeat;
    double quietCores = args.quietCores;
    long quietWaitS = args.quietWaitS;
    List<String> variants = args.variants;
    long jitWarmupS = args.jitWarmupS;
    boolean withBaseline = args.withBaseline;
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
        specs.add(
            spec.withSettings(more)
                .withSystem(SystemKind.KSTATEFUN)
                .withWorkload(Workload.BASELINE)
                .withLabel(label + " baseline"));
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    try (Environment env = new Environment(options)) {
      Runner runner = new Runner(env, quietCores, quietWaitS);
      if (mode == RunSpec.Mode.FRESH) {
        env.prepareFreshStarts();
      }
      // A peer run warms up on its own (--warmup); kstatefun's JVMs need not be warm for it.
      jitWarmup(runner, env, system.isPeer() && !withBaseline ? 0 : jitWarmupS, spec.settings());
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
  private static void jitWarmup(
      Runner runner, Environment env, long seconds, Map<String, String> settings)
      throws IOException {
    if (seconds <= 0) {
      return;
    }
    log("JIT warm-up: " + seconds + " s of counter and of baseline at 500 msg/s");
    for (Workload w : List.of(Workload.COUNTER, Workload.BASELINE)) {
      RunSpec spec =
          RunSpec.builder("jit-warmup", w)
              .keys(1024)
              .rate(500)
              .duration(seconds)
              .warmup(0, 500)
              .settings(settings)
              .build();
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
    Files.writeString(
        env.workDir().resolve("results.jsonl"),
        line + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
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
