package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(10)
class FreshStartTest {

  private static final long S = 1_000_000_000L;

  /** 100 msg/s for {@code seconds}; a message sent at second t takes {@code latencyMs(t)}. */
  private static LatencyRecorder run(int seconds, java.util.function.IntToLongFunction latencyMs) {
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 0; i < seconds * 100; i++) {
      long sent = i * S / 100;
      r.record(sent, sent + latencyMs.applyAsLong(i / 100) * 1_000_000L);
    }
    return r;
  }

  @Test
  void shouldFindTheSecondFromWhichEveryWindowKeepsItsP99WithinTheBound() {
    // 6 s of 3 s latency (the start), then 40 ms, but one slow second at 8 s.
    LatencyRecorder r = run(20, t -> t < 6 || t == 8 ? 3000 : 40);

    assertThat(FreshStart.stableAfterS(r, 0, 20, 100, 1000)).isEqualTo(9.0);
  }

  @Test
  void shouldCountMissingMessagesAsTooSlow() {
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 0; i < 1000; i++) {
      long sent = i * S / 100;
      // Second 9 lost half of its messages: they never came out.
      if (i / 100 != 9 || i % 2 == 0) {
        r.record(sent, sent + 10_000_000L);
      }
    }

    assertThat(FreshStart.stableAfterS(r, 0, 10, 100, 1000)).isNaN();
    assertThat(FreshStart.stableAfterS(r, 0, 9, 100, 1000)).isEqualTo(0.0);
  }

  @Test
  void shouldTolerateOneMissingMessageOfAWindowButNotItsDelay() {
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 1; i < 100; i++) { // message 0 of the only second is missing
      long sent = i * S / 100;
      r.record(sent, sent + 10_000_000L);
    }

    assertThat(FreshStart.stableAfterS(r, 0, 1, 100, 1000)).isEqualTo(0.0);
  }

  @Test
  void shouldReportP99PerWindowSinceTheStart() {
    long start = 5 * S;
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 0; i < 1000; i++) {
      long sent = start + i * S / 100;
      r.record(sent, sent + (i < 500 ? 2000 : 20) * 1_000_000L);
    }

    List<Map<String, Object>> w = FreshStart.windows(r, start, 10, 5, 100);

    assertThat(w).hasSize(2);
    assertThat(w.get(0)).containsEntry("from_s", 0.0).containsEntry("p99_ms", 2000.0);
    assertThat(w.get(0)).containsEntry("out", 500).containsEntry("expected", 500L);
    assertThat(w.get(1)).containsEntry("from_s", 5.0).containsEntry("p99_ms", 20.0);
  }

  @Test
  void shouldReadAFreshRunAndNotWarmItUp() {
    Bench.RunCommand run = new Bench.RunCommand();
    new CommandLine(run)
        .parseArgs("--mode", "fresh", "--keys", "1024", "--rate", "500", "--duration", "40");

    assertThat(RunSpec.Mode.parse(run.mode)).isEqualTo(RunSpec.Mode.FRESH);
    assertThat(run.environment.freshJvm).isEqualTo(FreshStart.DISTRIBUTION_JVM_OPTIONS);
    RunSpec spec = RunSpec.builder("f", Workload.COUNTER).keys(1024).fresh(500).build();
    assertThat(spec.mode()).isEqualTo(RunSpec.Mode.FRESH);
    assertThat(spec.rate()).isEqualTo(500);
    assertThat(spec.warmupS()).isZero();
  }

  @Test
  void shouldHaveAFreshStartEntryInTheSuite() {
    assertThat(Suite.entries(true, Map.of()))
        .anySatisfy(
            e -> {
              assertThat(e.label()).isEqualTo("fresh-start-1024");
              RunSpec s = e.spec().apply(Map.of());
              assertThat(s.mode()).isEqualTo(RunSpec.Mode.FRESH);
              assertThat(s.keys()).isEqualTo(1024);
            });
  }

  @Test
  void shouldGroupThreadsByWhatTheyDo() {
    assertThat(FreshStart.threadGroup("C2 CompilerThre")).isEqualTo("jit_c2");
    assertThat(FreshStart.threadGroup("C1 CompilerThre")).isEqualTo("jit_c1");
    assertThat(FreshStart.threadGroup("G1 Conc#0")).isEqualTo("gc_vm");
    assertThat(FreshStart.threadGroup("vert.x-eventloo")).isEqualTo("vertx");
    assertThat(FreshStart.threadGroup("bench-counter-8")).isEqualTo("kafka_streams");
    assertThat(FreshStart.threadGroup("kafka-producer-")).isEqualTo("kafka_streams");
    assertThat(FreshStart.cpuByThreadGroup(ProcessHandle.current().pid())).containsKey("main");
  }

  @Test
  void shouldRecordTheArchiveFirstAndMapItOnceItExists(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path archive = FreshStart.cdsArchive(dir);
    assertThat(archive.getParent()).isEqualTo(dir);
    assertThat(FreshStart.cdsArchive(dir)).isEqualTo(archive);

    assertThat(FreshStart.cdsOptions(archive))
        .contains("-XX:ArchiveClassesAtExit=" + archive)
        .noneMatch(o -> o.startsWith("-XX:SharedArchiveFile"));
    java.nio.file.Files.writeString(archive, "x");
    assertThat(FreshStart.cdsOptions(archive))
        .contains("-XX:SharedArchiveFile=" + archive)
        .noneMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit"));
  }
}
