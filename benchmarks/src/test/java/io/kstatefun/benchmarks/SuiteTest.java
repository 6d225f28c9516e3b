package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The suite's entries (the issue 18 ones in particular), {@code --only} and the steps table. */
class SuiteTest {

  private static List<String> labels(List<Suite.Entry> entries) {
    return entries.stream().map(Suite.Entry::label).toList();
  }

  private static RunSpec spec(List<Suite.Entry> entries, String label) {
    return entries.stream()
        .filter(e -> e.label().equals(label))
        .findFirst()
        .orElseThrow()
        .spec()
        .apply(Map.of());
  }

  @Test
  void shouldKeepTheOldEntriesAndAddThePerformanceTwoOnesWithoutPeersByDefault() {
    List<Suite.Entry> entries = Suite.entries(false, Map.of(), List.of());
    List<String> labels = labels(entries);

    assertThat(labels).containsAll(labels(Suite.entries(false, Map.of())));
    assertThat(labels)
        .contains(
            "perf2-1hop-200",
            "perf2-1hop-200-baseline",
            "perf2-1hop-2000",
            "perf2-1hop-2000-baseline",
            "perf2-chain3-200",
            "perf2-steps-64",
            "perf2-steps-64-baseline",
            "perf2-burst-64",
            "perf2-burst-64-baseline-eos");
    assertThat(labels).noneMatch(l -> l.endsWith("-restate") || l.endsWith("-statefun"));
    assertThat(labels).doesNotHaveDuplicates();
  }

  @Test
  void shouldRunTheIssueTargetsWithSixtyFourKeysAndTheSameSpecOnEveryPeer() {
    List<Suite.Entry> entries =
        Suite.entries(
            false,
            Map.of("kstatefun.partitions", "4"),
            List.of(SystemKind.RESTATE, SystemKind.STATEFUN));

    RunSpec low = spec(entries, "perf2-1hop-200");
    assertThat(low.workload()).isEqualTo(Workload.COUNTER);
    assertThat(low.keys()).isEqualTo(64);
    assertThat(low.rate()).isEqualTo(200);
    // kstatefun.partitions is the run's partitions: ingress, egress and the runtime alike
    assertThat(low.partitions()).isEqualTo(4);
    assertThat(low.settings()).doesNotContainKey("kstatefun.partitions");
    RunSpec restate = spec(entries, "perf2-1hop-200-restate");
    assertThat(restate.system()).isEqualTo(SystemKind.RESTATE);
    assertThat(restate.withSystem(SystemKind.KSTATEFUN).withLabel("perf2-1hop-200")).isEqualTo(low);
    assertThat(spec(entries, "perf2-1hop-2000-statefun").rate()).isEqualTo(2000);
    assertThat(spec(entries, "perf2-1hop-200-baseline").workload()).isEqualTo(Workload.BASELINE);

    RunSpec chain = spec(entries, "perf2-chain3-200-statefun");
    assertThat(chain.workload()).isEqualTo(Workload.CHAIN);
    assertThat(chain.hops()).isEqualTo(3);
    assertThat(chain.rate()).isEqualTo(200);

    RunSpec steps = spec(entries, "perf2-steps-64-statefun");
    assertThat(steps.mode()).isEqualTo(RunSpec.Mode.LADDER);
    assertThat(steps.keys()).isEqualTo(64);
    assertThat(steps.ladder().rates()).containsExactly(8000.0, 16000.0, 24000.0, 32000.0);
    assertThat(steps.ladder().stepS()).isEqualTo(10);
    assertThat(spec(entries, "perf2-burst-64-statefun").burstCount()).isEqualTo(100_000);

    // Restate does not reach 2k msg/s: no steps and no burst for it
    assertThat(labels(entries))
        .contains("perf2-chain3-200-restate", "perf2-1hop-2000-restate")
        .doesNotContain("perf2-steps-64-restate", "perf2-burst-64-restate");
  }

  @Test
  void shouldSelectByLabelOrDashPrefixAndRejectAnOnlyThatSelectsNothing() {
    List<Suite.Entry> entries = Suite.entries(true, Map.of(), List.of(SystemKind.RESTATE));

    assertThat(labels(Suite.select(entries, List.of("perf2-1hop-200"))))
        .containsExactly("perf2-1hop-200", "perf2-1hop-200-baseline", "perf2-1hop-200-restate");
    assertThat(labels(Suite.select(entries, List.of("perf2-1hop-2000-restate"))))
        .containsExactly("perf2-1hop-2000-restate");
    assertThat(labels(Suite.select(entries, List.of("perf2"))))
        .allMatch(l -> l.startsWith("perf2-"))
        .hasSize((int) labels(entries).stream().filter(l -> l.startsWith("perf2-")).count());
    assertThat(labels(Suite.select(entries, List.of("latency-1hop"))))
        .containsExactly("latency-1hop", "latency-1hop-baseline");
    assertThat(Suite.select(entries, List.of())).isEqualTo(entries);

    assertThatThrownBy(
            () ->
                Suite.select(
                    Suite.entries(true, Map.of(), List.of()), List.of("perf2-1hop-200-statefun")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--only perf2-1hop-200-statefun selects no suite entry");
    assertThatThrownBy(() -> Suite.select(entries, List.of("perf")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRejectAnOnlyThatSelectsNothingWithExitCodeTwo() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Bench.run(
            new String[] {"suite", "--only", "perf2-nothing"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("perf2-nothing");
  }

  @Test
  void shouldTabulateTheMediansOfEachFixedStep() {
    Map<String, Object> a =
        run("perf2-steps-64", List.of(step(8000, 7990, 120), step(16000, 15000, 900)));
    Map<String, Object> b =
        run("perf2-steps-64", List.of(step(8000, 8000, 100), step(16000, 15800, 700)));
    Map<String, Object> c =
        run("perf2-steps-64", List.of(step(8000, 7900, 300), step(16000, 16000, 800)));
    Map<String, Object> ladder = run("ladder-64", List.of(step(250, 250, 10)));
    ladder.remove("fixed_steps");

    String table = Suite.stepsTable(Suite.byLabel(List.of(a, b, c, ladder)));

    assertThat(table).contains("| perf2-steps-64 | 8000 | 3 | 7990 | 10.0 | 120 | 1.0 |");
    assertThat(table).contains("| perf2-steps-64 | 16000 | 3 | 15800 | 10.0 | 800 | 1.0 |");
    assertThat(table).doesNotContain("ladder-64");
    assertThat(Suite.stepsTable(Suite.byLabel(List.of(ladder)))).isEmpty();
  }

  @Test
  void shouldShowDuplicatesInTheMediansTable() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("label", "perf2-1hop-200-restate");
    r.put("duplicates", 3L);
    r.put("exactly_once_ok", false);
    assertThat(Suite.table(Suite.byLabel(List.of(r))))
        .contains("duplicates |")
        .contains("| perf2-1hop-200-restate | 1 | 0/1 |")
        .endsWith(" 3.0 |\n");
  }

  private static Map<String, Object> run(String label, List<Map<String, Object>> steps) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("label", label);
    r.put("fixed_steps", true);
    r.put("steps", steps);
    return r;
  }

  private static Map<String, Object> step(double rate, double achieved, double p99) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("rate", rate);
    s.put("achieved", achieved);
    s.put("p50_ms", 10.0);
    s.put("p99_ms", p99);
    s.put("max_ms", 1.0);
    s.put("ok", p99 <= 1000);
    return s;
  }
}
