package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code bin/kstatefun-bench help}, and the arguments of the README's benchmark commands. */
class BenchTest {

  @Test
  void shouldPrintTheUsageOfTheDocumentedCommandsOnHelp() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      Bench.main(new String[] {"help"});
    } finally {
      System.setOut(original);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("kstatefun-bench suite [--runs 3]", "kstatefun-bench run --workload counter",
            "[--rate 500] [--duration 30]", "[--set KEY=VALUE]", "kstatefun-bench jfr-top FILE");
  }

  @Test
  void shouldReadTheReadmesRunArguments() {
    Args args = new Args(List.of("--workload", "counter", "--rate", "500", "--duration", "30", "--set",
        "kstatefun.commit.min.interval.ms=50"));

    assertThat(Workload.parse(args.value("--workload", null))).isEqualTo(Workload.COUNTER);
    assertThat(args.doubleValue("--rate", 0)).isEqualTo(500);
    assertThat(args.doubleValue("--duration", 0)).isEqualTo(30);
    assertThat(args.settings()).containsExactly(Map.entry("kstatefun.commit.min.interval.ms", "50"));
    args.rejectUnused();
  }
}
