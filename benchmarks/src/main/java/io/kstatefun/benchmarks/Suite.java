package io.kstatefun.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The benchmark suite: every workload of the issue, kstatefun next to the substrate baseline,
 * repeated round by round (so noise from other load on the machine spreads over all runs), with a
 * table of medians at the end.
 */
final class Suite {

  /** One entry of a round; {@code spec} may look at earlier results of the same round. */
  record Entry(String label, Function<Map<String, Map<String, Object>>, RunSpec> spec) {}

  private Suite() {}

  /**
   * The suite's entries.
   *
   * @param quick shorter phases and smaller bursts, to check the harness
   * @param settings settings applied to every kstatefun and baseline run
   */
  static List<Entry> entries(boolean quick, Map<String, String> settings) {
    double dur = quick ? 10 : 30;
    double warm = quick ? 5 : 10;
    long burst = quick ? 50_000 : 200_000;
    RunSpec.Ladder ladder =
        quick
            ? new RunSpec.Ladder(250, 1.5, 5, 200_000, 1000)
            : new RunSpec.Ladder(250, 1.25, 10, 200_000, 1000);
    int millionKeys = quick ? 100_000 : 1_000_000;
    List<Entry> e = new ArrayList<>();

    // Latency at fixed rates.
    e.add(
        fixed(
            "latency-1hop",
            RunSpec.builder("", Workload.COUNTER)
                .keys(64)
                .rate(500)
                .duration(dur)
                .warmup(warm, 500),
            settings));
    e.add(
        fixed(
            "latency-1hop-baseline",
            RunSpec.builder("", Workload.BASELINE)
                .keys(64)
                .rate(500)
                .duration(dur)
                .warmup(warm, 500),
            settings));
    e.add(
        fixed(
            "latency-chain3",
            RunSpec.builder("", Workload.CHAIN)
                .keys(64)
                .hops(3)
                .rate(200)
                .duration(dur)
                .warmup(warm, 200),
            settings));
    e.add(
        fixed(
            "latency-same-id-chain3",
            RunSpec.builder("", Workload.SAME_ID_CHAIN)
                .keys(64)
                .hops(3)
                .rate(200)
                .duration(dur)
                .warmup(warm, 200),
            settings));
    e.add(
        fixed(
            "latency-fanout10",
            RunSpec.builder("", Workload.FANOUT)
                .keys(64)
                .fanout(10)
                .rate(100)
                .duration(dur)
                .warmup(warm, 100),
            settings));
    e.add(
        fixed(
            "latency-large-state",
            RunSpec.builder("", Workload.LARGE_STATE)
                .keys(1000)
                .rate(200)
                .duration(dur)
                .warmup(warm, 200),
            settings));

    // Sustained throughput: rate ladders and burst drains, kstatefun and baseline side by side.
    // "-baseline" commits like kstatefun (same Streams settings and commit policy); "-baseline-eos"
    // is the plain Kafka Streams EOS app with Streams' own commit policy (every 100 ms), the
    // substrate's best throughput.
    Map<String, String> eos =
        Map.of("baseline.commit.on.output", "false", "commit.interval.ms", "100");
    for (int keys : new int[] {64, 4096}) {
      e.add(
          fixed(
              "ladder-" + keys,
              RunSpec.builder("", Workload.COUNTER).keys(keys).ladder(ladder).warmup(warm, 250),
              settings));
      e.add(
          fixed(
              "ladder-" + keys + "-baseline",
              RunSpec.builder("", Workload.BASELINE).keys(keys).ladder(ladder).warmup(warm, 250),
              settings));
      e.add(
          fixed(
              "ladder-" + keys + "-baseline-eos",
              RunSpec.builder("", Workload.BASELINE).keys(keys).ladder(ladder).warmup(warm, 250),
              merge(settings, eos)));
      e.add(
          fixed(
              "burst-" + keys,
              RunSpec.builder("", Workload.COUNTER).keys(keys).burst(burst).warmup(warm, 250),
              settings));
      e.add(
          fixed(
              "burst-" + keys + "-baseline-eos",
              RunSpec.builder("", Workload.BASELINE).keys(keys).burst(burst).warmup(warm, 250),
              merge(settings, eos)));
      String ladderLabel = "ladder-" + keys;
      e.add(
          new Entry(
              "half-" + keys,
              round -> {
                Map<String, Object> r = round.get(ladderLabel);
                if (r == null
                    || !(r.get("sustained") instanceof Number n)
                    || n.doubleValue() <= 0) {
                  return null;
                }
                return RunSpec.builder("half-" + keys, Workload.COUNTER)
                    .keys(keys)
                    .rate(Math.round(n.doubleValue() / 2))
                    .duration(dur)
                    .warmup(warm, 250)
                    .settings(settings)
                    .build();
              }));
    }

    // A 50 ms function against the fast one, 10k keys.
    e.add(
        fixed(
            "burst-10k-fast",
            RunSpec.builder("", Workload.COUNTER).keys(10_000).burst(burst).warmup(warm, 250),
            settings));
    e.add(
        fixed(
            "burst-10k-slow",
            RunSpec.builder("", Workload.SLOW).keys(10_000).burst(burst).warmup(warm, 250),
            settings));

    // A fresh instance: a new runtime JVM, 500 msg/s at 1,024 keys from its launch (issue #18's
    // warm-start target: p99 <= 1 s within 10 s of the start).
    e.add(
        fixed(
            "fresh-start-1024",
            RunSpec.builder("", Workload.COUNTER).keys(1024).fresh(500).duration(quick ? 20 : 40),
            settings));

    // 1M distinct keys: one message each; heap and RSS of the runtime.
    e.add(
        fixed(
            "keys-1m",
            RunSpec.builder("", Workload.COUNTER)
                .keys(millionKeys)
                .burst(millionKeys)
                .warmup(warm, 250),
            settings));
    return e;
  }

  /** The prefix of the labels of the entries for issue 18 (Performance II). */
  static final String PERF2 = "perf2";

  /**
   * The suite's entries: those of {@link #entries(boolean, Map)}, then the Performance II entries
   * (labels {@code perf2-*}): 1-hop at 200 and 2,000 msg/s, the 3-hop chain across partitions at
   * 200 msg/s, fixed 10 s steps at 8k, 16k, 24k and 32k msg/s and a 100k burst, all with 64 keys
   * and the ingress partitions equal to {@code kstatefun.partitions}; kstatefun and the baseline,
   * and each of {@code peers} on the same broker, driver and workload (label suffix {@code
   * -restate} / {@code -statefun}).
   *
   * <p>Restate is left out of the steps and the burst: it does not reach 2,000 msg/s on this kind
   * of machine, so they would only measure a backlog draining at about 1k msg/s.
   */
  static List<Entry> entries(boolean quick, Map<String, String> settings, List<SystemKind> peers) {
    List<Entry> e = new ArrayList<>(entries(quick, settings));
    double dur = quick ? 10 : 30;
    double warm = quick ? 5 : 10;
    double stepS = quick ? 5 : 10;
    long burst = quick ? 50_000 : 100_000;
    for (int rate : new int[] {200, 2000}) {
      String label = PERF2 + "-1hop-" + rate;
      RunSpec.Builder b =
          RunSpec.builder("", Workload.COUNTER)
              .keys(64)
              .rate(rate)
              .duration(dur)
              .warmup(warm, Math.min(rate, 500));
      addWithPeers(e, label, b, settings, peers, true, true);
    }
    addWithPeers(
        e,
        PERF2 + "-chain3-200",
        RunSpec.builder("", Workload.CHAIN)
            .keys(64)
            .hops(3)
            .rate(200)
            .duration(dur)
            .warmup(warm, 200),
        settings,
        peers,
        false,
        true);
    RunSpec.Ladder steps =
        RunSpec.Ladder.steps(List.of(8000.0, 16000.0, 24000.0, 32000.0), stepS, 1000);
    addWithPeers(
        e,
        PERF2 + "-steps-64",
        RunSpec.builder("", Workload.COUNTER).keys(64).ladder(steps).warmup(warm, 500),
        settings,
        peers,
        true,
        false);
    addWithPeers(
        e,
        PERF2 + "-burst-64",
        RunSpec.builder("", Workload.COUNTER).keys(64).burst(burst).warmup(warm, 500),
        settings,
        peers,
        false,
        false);
    e.add(
        fixed(
            PERF2 + "-burst-64-baseline-eos",
            RunSpec.builder("", Workload.BASELINE).keys(64).burst(burst).warmup(warm, 500),
            merge(
                settings,
                Map.of("baseline.commit.on.output", "false", "commit.interval.ms", "100"))));
    return e;
  }

  /**
   * {@code label} for kstatefun, {@code label-baseline} (same settings, baseline workload) if
   * {@code baseline}, and {@code label-<peer>} for each peer (Restate only if {@code restate}).
   */
  private static void addWithPeers(
      List<Entry> e,
      String label,
      RunSpec.Builder b,
      Map<String, String> settings,
      List<SystemKind> peers,
      boolean baseline,
      boolean restate) {
    RunSpec spec = b.settings(settings).build();
    e.add(new Entry(label, fixedSpec(spec.withLabel(label))));
    if (baseline) {
      String l = label + "-baseline";
      e.add(new Entry(l, fixedSpec(spec.withWorkload(Workload.BASELINE).withLabel(l))));
    }
    for (SystemKind peer : peers) {
      if (!peer.isPeer() || peer == SystemKind.RESTATE && !restate) {
        continue;
      }
      String l = label + "-" + peer.label();
      e.add(new Entry(l, fixedSpec(spec.withSystem(peer).withLabel(l))));
    }
  }

  private static Function<Map<String, Map<String, Object>>, RunSpec> fixedSpec(RunSpec spec) {
    return round -> spec;
  }

  /**
   * The entries {@code only} selects: an entry is selected by its label or by a prefix of its label
   * that ends before a {@code -}. Empty {@code only}: all.
   *
   * @throws IllegalArgumentException if an element of {@code only} selects nothing
   */
  static List<Entry> select(List<Entry> entries, List<String> only) {
    if (only.isEmpty()) {
      return entries;
    }
    List<Entry> selected = new ArrayList<>();
    for (Entry e : entries) {
      if (only.stream().anyMatch(o -> matches(e.label(), o))) {
        selected.add(e);
      }
    }
    for (String o : only) {
      if (entries.stream().noneMatch(e -> matches(e.label(), o))) {
        throw new IllegalArgumentException(
            "--only "
                + o
                + " selects no suite entry (the -restate and -statefun entries need --peers)");
      }
    }
    return selected;
  }

  private static boolean matches(String label, String only) {
    return !only.isEmpty() && (label.equals(only) || label.startsWith(only + "-"));
  }

  /**
   * Fixed-step ladders (see {@link RunSpec.Ladder#steps}): for each label and step rate, the
   * medians of achieved rate, p50 and p99, as a Markdown table; empty if there are none.
   */
  @SuppressWarnings("unchecked")
  static String stepsTable(Map<String, List<Map<String, Object>>> byLabel) {
    StringBuilder sb = new StringBuilder();
    byLabel.forEach(
        (label, runs) -> {
          if (runs.stream().noneMatch(r -> Boolean.TRUE.equals(r.get("fixed_steps")))) {
            return;
          }
          Map<Double, List<Map<String, Object>>> byRate = new LinkedHashMap<>();
          for (Map<String, Object> r : runs) {
            if (r.get("steps") instanceof List<?> steps) {
              for (Object o : steps) {
                Map<String, Object> step = (Map<String, Object>) o;
                byRate
                    .computeIfAbsent(
                        ((Number) step.get("rate")).doubleValue(), k -> new ArrayList<>())
                    .add(step);
              }
            }
          }
          byRate.forEach(
              (rate, steps) -> {
                sb.append("| ")
                    .append(label)
                    .append(" | ")
                    .append(format(rate))
                    .append(" | ")
                    .append(steps.size())
                    .append(" |");
                for (String c : List.of("achieved", "p50_ms", "p99_ms", "max_ms")) {
                  List<Double> v = new ArrayList<>();
                  steps.forEach(
                      st -> {
                        if (st.get(c) instanceof Number n && !Double.isNaN(n.doubleValue())) {
                          v.add(n.doubleValue());
                        }
                      });
                  sb.append(' ').append(v.isEmpty() ? "" : format(median(v))).append(" |");
                }
                sb.append('\n');
              });
        });
    if (sb.length() == 0) {
      return "";
    }
    return "| run | step rate | n | achieved | p50_ms | p99_ms | max_ms |\n|---|---|---|---|---|---|---|\n"
        + sb;
  }

  private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> m = new LinkedHashMap<>(a);
    m.putAll(b);
    return m;
  }

  private static Entry fixed(String label, RunSpec.Builder b, Map<String, String> settings) {
    RunSpec spec = b.settings(settings).build().withLabel(label);
    return new Entry(label, round -> spec);
  }

  /** The medians of the numeric fields of the runs of each label, as a Markdown table. */
  static String table(Map<String, List<Map<String, Object>>> byLabel) {
    List<String> cols =
        List.of(
            "throughput",
            "sustained",
            "runtime_ready_s",
            "stable_after_s",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "p999_ms",
            "max_ms",
            "cpu_cores_used",
            "cpu_us_per_msg",
            "foreign_cpu_cores",
            "rss_mb",
            "heap_live_mb",
            "duplicates");
    StringBuilder sb = new StringBuilder();
    sb.append("| run | n | eo ok |");
    cols.forEach(c -> sb.append(' ').append(c).append(" |"));
    sb.append("\n|---|---|---|");
    cols.forEach(c -> sb.append("---|"));
    sb.append('\n');
    byLabel.forEach(
        (label, runs) -> {
          long ok =
              runs.stream().filter(r -> Boolean.TRUE.equals(r.get("exactly_once_ok"))).count();
          sb.append("| ")
              .append(label)
              .append(" | ")
              .append(runs.size())
              .append(" | ")
              .append(ok)
              .append('/')
              .append(runs.size())
              .append(" |");
          for (String c : cols) {
            List<Double> v = new ArrayList<>();
            for (Map<String, Object> r : runs) {
              if (r.get(c) instanceof Number n && !Double.isNaN(n.doubleValue())) {
                v.add(n.doubleValue());
              }
            }
            sb.append(' ').append(v.isEmpty() ? "" : format(median(v))).append(" |");
          }
          sb.append('\n');
        });
    return sb.toString();
  }

  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(Double::compare);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  private static String format(double d) {
    if (Math.abs(d) >= 100) {
      return Long.toString(Math.round(d));
    }
    return String.valueOf(Runner.round(d, 1));
  }

  /** Groups results by label, keeping the order of first appearance. */
  static Map<String, List<Map<String, Object>>> byLabel(List<Map<String, Object>> results) {
    Map<String, List<Map<String, Object>>> m = new LinkedHashMap<>();
    for (Map<String, Object> r : results) {
      if ("jit-warmup".equals(r.get("label"))) {
        continue;
      }
      m.computeIfAbsent(String.valueOf(r.get("label")), k -> new ArrayList<>()).add(r);
    }
    return m;
  }
}
