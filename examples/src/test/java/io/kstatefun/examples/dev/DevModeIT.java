package io.kstatefun.examples.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/kstatefun dev} in this JVM ({@link DevMode#run}, what {@code main} does minus logging
 * set-up, shutdown hook and exit): broker, functions, runtime, generator and egress view start, the
 * view shows results of every example, and everything stops by itself after {@code --duration}.
 */
class DevModeIT {

  @Test
  @Timeout(180)
  void shouldShowEgressResultsOfEveryExampleAndStopCleanlyAfterTheDuration(@TempDir Path workDir)
      throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);

    DevSummary summary =
        DevMode.run(
            out,
            workDir,
            "--duration",
            "10",
            "--rate",
            "5",
            "--max-events",
            "40",
            "--examples",
            "greeter,billing,cart",
            "--kafka-port",
            "0");

    String output = buffer.toString(StandardCharsets.UTF_8);
    System.out.println(output);
    assertThat(output)
        .contains("ready after ")
        .contains("(first result after ")
        .contains("[egress greetings]")
        .contains("[egress billing-events]")
        .contains("[egress cart-events]")
        .contains("[ingress names]")
        .contains("[progress 0:05]")
        .contains("(sent 40 sample events, the maximum")
        .contains("summary: ran 0:1");
    assertThat(output).containsPattern("\\[egress greetings\\] +\\w+ -> \"Hello \\w+, visit #1\"");
    assertThat(output)
        .containsPattern(
            "\\[egress billing-events\\] +alice -> \\{\"event\":\"paid\",\"plan\":\"pro\",\"invoice\":1");
    assertThat(summary.eventsSent()).isEqualTo(40);
    assertThat(summary.resultsByTopic())
        .containsOnlyKeys("greetings", "billing-events", "cart-events");
    assertThat(summary.resultsByTopic().values()).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(summary.deadLetters()).isZero();
    assertThat(summary.functionCalls()).isPositive();
    assertThat(summary.firstResultSeconds()).isPresent();
    assertThat(summary.firstResultSeconds().getAsDouble()).isGreaterThan(summary.startupSeconds());
    assertThat(output).endsWith(DevDemo.describe(summary) + System.lineSeparator());
    assertThat(workDir.resolve("state"))
        .as("runtime state deleted on stop")
        .satisfies(p -> assertThat(Files.exists(p)).isFalse());
  }
}
