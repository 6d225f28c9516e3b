package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bin/kstatefun-bench help}, and the arguments of the README's benchmark commands. */
class BenchTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int bench(String... args) {
    return Bench.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void shouldPrintTheDocumentedCommandsOnHelpButNotTheChildJvmOnes() {
    assertThat(bench("help")).isZero();
    String help = out.toString(StandardCharsets.UTF_8);
    assertThat(help).contains("Usage: kstatefun-bench", "  suite ", "  run ", "  jfr-top ");
    assertThat(help).doesNotContain("runtime-host", "baseline-host");
    out.reset();
    assertThat(bench("help", "run")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--workload=W", "--rate=R", "--duration=SECONDS", "--set=KEY=VALUE");
  }

  @Test
  void shouldReadTheReadmesRunArguments() {
    Bench.RunCommand run = new Bench.RunCommand();
    new CommandLine(run)
        .parseArgs(
            "--workload",
            "counter",
            "--rate",
            "500",
            "--duration",
            "30",
            "--set",
            "kstatefun.commit.min.interval.ms=50");

    assertThat(Workload.parse(run.workload)).isEqualTo(Workload.COUNTER);
    assertThat(run.rate).isEqualTo(500);
    assertThat(run.duration).isEqualTo(30);
    assertThat(run.settings).containsExactly(Map.entry("kstatefun.commit.min.interval.ms", "50"));
  }

  @Test
  void shouldReadTheReadmesSuiteArguments() {
    Bench.SuiteCommand suite = new Bench.SuiteCommand();
    new CommandLine(suite).parseArgs("--runs", "3", "--quick", "--only", "latency-1hop,ladder-64");

    assertThat(suite.runs).isEqualTo(3);
    assertThat(suite.quick).isTrue();
    assertThat(suite.only).containsExactly("latency-1hop", "ladder-64");
    assertThat(suite.quietCores).isEqualTo(0.5);
  }

  @Test
  void shouldParseEveryBenchCommandLineOfTheReadme() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile("(?m)(?:`|^)bin/kstatefun-bench (suite|run|jfr-top)([^`\\n]*)")
            .matcher(readme);
    int parsed = 0;
    while (m.find()) {
      List<String> args = new ArrayList<>(List.of(m.group(1)));
      String rest = m.group(2).replaceAll("[\\[\\]]", " ").trim();
      if (!rest.isEmpty()) {
        args.addAll(List.of(rest.split("\\s+")));
      }
      new CommandLine(Bench.class).parseArgs(args.toArray(String[]::new));
      parsed++;
    }
    assertThat(parsed).as("bin/kstatefun-bench lines in README.md").isGreaterThanOrEqualTo(3);
  }

  @Test
  void shouldRejectAnUnknownWorkloadOrOptionWithExitCodeTwo() {
    assertThat(bench("run", "--workload", "chess")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("chess");
    assertThat(bench("run", "--speed", "3")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown options: '--speed', '3'");
  }
}
