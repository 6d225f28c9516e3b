package io.kstatefun.benchmarks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark run: what to send, how, and with which runtime settings.
 *
 * @param label the name of the run in the results table
 * @param workload what is sent (see {@link Workload})
 * @param keys distinct root keys, used round-robin
 * @param hops functions in a chain (chain workloads)
 * @param fanout counters per fan-out message (fan-out workload)
 * @param mode fixed rate, rate ladder, burst or fresh start
 * @param rate messages per second (fixed rate)
 * @param durationS seconds of measurement (fixed rate)
 * @param warmupS seconds of warm-up before measuring (rate {@code warmupRate}); its output is
 *     verified but not measured
 * @param warmupRate warm-up rate
 * @param burstCount messages of a burst
 * @param ladder the rate ladder's parameters
 * @param partitions partitions of ingress, egress and {@code kstatefun.partitions}
 * @param settings runtime properties (Kafka Streams keys and {@code kstatefun.*})
 * @param jfr record a JFR profile of the runtime (or baseline) JVM
 * @param system the system under test (kstatefun by default, or a peer; always kstatefun for the
 *     baseline workload)
 */
public record RunSpec(
    String label,
    Workload workload,
    int keys,
    int hops,
    int fanout,
    Mode mode,
    double rate,
    double durationS,
    double warmupS,
    double warmupRate,
    long burstCount,
    Ladder ladder,
    int partitions,
    Map<String, String> settings,
    boolean jfr,
    SystemKind system) {

  /** How messages are sent. */
  public enum Mode {
    /** Open loop at a fixed rate. */
    RATE,
    /** Open loop, rate stepping up until a step is not sustained. */
    LADDER,
    /** As fast as the producer can, then wait for all output. */
    BURST,
    /**
     * Open loop at a fixed rate into a runtime JVM started for this run (no warm-up of any kind):
     * the load starts when the JVM is launched; latency is reported per window since then.
     */
    FRESH;

    public static Mode parse(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * A rate ladder: steps of {@code stepS} seconds from {@code start} msg/s, multiplied by {@code
   * factor} per step, up to {@code max}. A step is sustained when every message sent during it came
   * out and its p99 latency is at most {@code maxP99Ms}.
   */
  public record Ladder(
      double start, double factor, double stepS, double max, double maxP99Ms, List<Double> rates) {

    /** A geometric ladder ({@code rates} empty). */
    public Ladder(double start, double factor, double stepS, double max, double maxP99Ms) {
      this(start, factor, stepS, max, maxP99Ms, List.of());
    }

    public Ladder {
      rates = List.copyOf(rates);
    }

    public static Ladder defaults() {
      return new Ladder(1000, 1.25, 10, 200_000, 1000);
    }

    /**
     * Fixed steps: every rate of {@code rates} for {@code stepS} seconds, in order, whether or not
     * the previous step was sustained (each step is judged and reported).
     */
    public static Ladder steps(List<Double> rates, double stepS, double maxP99Ms) {
      if (rates.isEmpty()) {
        throw new IllegalArgumentException("fixed steps need at least one rate");
      }
      return new Ladder(rates.get(0), 1, stepS, rates.get(rates.size() - 1), maxP99Ms, rates);
    }

    /** True for fixed steps. */
    public boolean fixedSteps() {
      return !rates.isEmpty();
    }
  }

  public RunSpec {
    settings = Map.copyOf(new LinkedHashMap<>(settings));
    if (keys <= 0) {
      throw new IllegalArgumentException("keys must be positive");
    }
    if (workload == Workload.SAME_ID_CHAIN && (hops < 1 || hops > 3)) {
      throw new IllegalArgumentException("same-id-chain supports 1 to 3 hops (types a, b, c)");
    }
    if (workload == Workload.FANOUT && fanout < 2) {
      throw new IllegalArgumentException("fanout must be at least 2");
    }
    if (system == null || workload == Workload.BASELINE) {
      system = SystemKind.KSTATEFUN; // the baseline is a plain Kafka Streams app on any system
    }
    if (system.isPeer() && workload != Workload.COUNTER && workload != Workload.CHAIN) {
      throw new IllegalArgumentException(
          "the " + system.label() + " peer runs the counter and chain workloads only");
    }
  }

  /**
   * The system label of the results: {@code kstatefun}, {@code baseline}, {@code restate} or {@code
   * statefun}.
   */
  public String systemLabel() {
    return workload == Workload.BASELINE ? "baseline" : system.label();
  }

  /** A copy that runs on another system. */
  public RunSpec withSystem(SystemKind newSystem) {
    return new RunSpec(
        label,
        workload,
        keys,
        hops,
        fanout,
        mode,
        rate,
        durationS,
        warmupS,
        warmupRate,
        burstCount,
        ladder,
        partitions,
        settings,
        jfr,
        newSystem);
  }

  /** Streams per root key: {@code fanout} for the fan-out workload, else 1. */
  public int streamsPerKey() {
    return workload == Workload.FANOUT ? fanout : 1;
  }

  /** A copy with other settings merged over these. */
  public RunSpec withSettings(Map<String, String> more) {
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.putAll(more);
    String p = s.remove(PARTITIONS_KEY);
    return new RunSpec(
        label,
        workload,
        keys,
        hops,
        fanout,
        mode,
        rate,
        durationS,
        warmupS,
        warmupRate,
        burstCount,
        ladder,
        p == null ? partitions : Integer.parseInt(p),
        s,
        jfr,
        system);
  }

  /** A setting that is this run's {@link #partitions()} rather than a plain property. */
  static final String PARTITIONS_KEY = "kstatefun.partitions";

  public RunSpec withLabel(String newLabel) {
    return new RunSpec(
        newLabel,
        workload,
        keys,
        hops,
        fanout,
        mode,
        rate,
        durationS,
        warmupS,
        warmupRate,
        burstCount,
        ladder,
        partitions,
        settings,
        jfr,
        system);
  }

  public RunSpec withWorkload(Workload newWorkload) {
    return new RunSpec(
        label,
        newWorkload,
        keys,
        hops,
        fanout,
        mode,
        rate,
        durationS,
        warmupS,
        warmupRate,
        burstCount,
        ladder,
        partitions,
        settings,
        jfr,
        system);
  }

  public RunSpec withRate(double newRate) {
    return new RunSpec(
        label,
        workload,
        keys,
        hops,
        fanout,
        mode,
        newRate,
        durationS,
        warmupS,
        warmupRate,
        burstCount,
        ladder,
        partitions,
        settings,
        jfr,
        system);
  }

  /** A builder with defaults: counter, 64 keys, 500 msg/s for 30 s after 10 s of warm-up. */
  public static Builder builder(String label, Workload workload) {
    return new Builder(label, workload);
  }

  /** Builds a {@link RunSpec}. */
  public static final class Builder {
    private final String label;
    private final Workload workload;
    private int keys = 64;
    private int hops = 3;
    private int fanout = 10;
    private Mode mode = Mode.RATE;
    private double rate = 500;
    private double durationS = 30;
    private double warmupS = 10;
    private double warmupRate = -1;
    private long burstCount = 200_000;
    private Ladder ladder = Ladder.defaults();
    private int partitions = 8;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private boolean jfr;
    private SystemKind system = SystemKind.KSTATEFUN;

    private Builder(String label, Workload workload) {
      this.label = label;
      this.workload = workload;
    }

    public Builder keys(int v) {
      keys = v;
      return this;
    }

    public Builder hops(int v) {
      hops = v;
      return this;
    }

    public Builder fanout(int v) {
      fanout = v;
      return this;
    }

    public Builder rate(double v) {
      mode = Mode.RATE;
      rate = v;
      return this;
    }

    /** A fresh-start run: {@code v} msg/s from the launch of a new runtime JVM, no warm-up. */
    public Builder fresh(double v) {
      mode = Mode.FRESH;
      rate = v;
      warmupS = 0;
      return this;
    }

    public Builder mode(Mode v) {
      mode = v;
      return this;
    }

    public Builder duration(double seconds) {
      durationS = seconds;
      return this;
    }

    public Builder warmup(double seconds, double atRate) {
      warmupS = seconds;
      warmupRate = atRate;
      return this;
    }

    public Builder burst(long count) {
      mode = Mode.BURST;
      burstCount = count;
      return this;
    }

    public Builder ladder(Ladder v) {
      mode = Mode.LADDER;
      ladder = v;
      return this;
    }

    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public Builder set(String key, String value) {
      return settings(Map.of(key, value));
    }

    public Builder settings(Map<String, String> v) {
      settings.putAll(v);
      String p = settings.remove(PARTITIONS_KEY);
      if (p != null) {
        partitions = Integer.parseInt(p);
      }
      return this;
    }

    public Builder jfr(boolean v) {
      jfr = v;
      return this;
    }

    public Builder system(SystemKind v) {
      system = v;
      return this;
    }

    public RunSpec build() {
      double wr = warmupRate > 0 ? warmupRate : Math.min(mode == Mode.RATE ? rate : 500, 500);
      return new RunSpec(
          label,
          workload,
          keys,
          hops,
          fanout,
          mode,
          rate,
          durationS,
          warmupS,
          wr,
          burstCount,
          ladder,
          partitions,
          settings,
          jfr,
          system);
    }
  }
}
