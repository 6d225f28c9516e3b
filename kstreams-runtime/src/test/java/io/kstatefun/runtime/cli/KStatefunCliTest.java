package io.kstatefun.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

/**
 * The runtime's commands ({@code run}, {@code topic}, {@code dlq}, {@code state}) as the README
 * shows them.
 */
class KStatefunCliTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int cli(String... args) {
    return KStatefunCli.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void shouldPrintTheUsageOfEveryCommandOnHelp() {
    assertThat(cli("help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Usage: kstatefun", "  run ", "  topic ", "  dlq ", "  state ", "  help ");
    out.reset();
    assertThat(cli("help", "run")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Usage: kstatefun run", "--module=FILE");
    out.reset();
    assertThat(cli("dlq", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage: kstatefun dlq", "--reinject");
  }

  @Test
  void shouldPrintTheUsageAndFailWithoutACommandOrWithAnUnknownOne() {
    assertThat(cli()).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Usage: kstatefun");
    err.reset();
    assertThat(cli("start")).isEqualTo(2);
    // picocli prints the usage, or only suggests commands with a similar name ('state' for 'start')
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Unmatched argument at index 0: 'start'")
        .containsAnyOf("Usage:", "Did you mean: kstatefun state");
  }

  @Test
  void shouldParseTheReadmesRunCommand() {
    RunCommand o =
        RunCommand.parse(
            "--module",
            "module.yaml",
            "--application-id",
            "my-app",
            "--state-dir",
            "./data/my-app");
    assertThat(o.modules).containsExactly(Path.of("module.yaml"));
    assertThat(o.applicationId).isEqualTo("my-app");
    assertThat(o.stateDir()).isEqualTo(Path.of("./data/my-app"));
    assertThat(o.bootstrapServers).as("default: the module's address").isNull();
  }

  @Test
  void shouldDefaultTheApplicationIdAndStateDirAsTheReadmeSays() {
    RunCommand o = RunCommand.parse("--module", "a.yaml", "--module", "b.yaml");
    assertThat(o.modules).containsExactly(Path.of("a.yaml"), Path.of("b.yaml"));
    assertThat(o.applicationId).isEqualTo("kstatefun");
    assertThat(o.stateDir()).isEqualTo(Path.of("kstatefun-state", "kstatefun"));
  }

  @Test
  void shouldPassEverySetToTheRuntimePropertiesInOrder() {
    RunCommand o =
        RunCommand.parse(
            "--module",
            "module.yaml",
            "--bootstrap-servers",
            "kafka:9093",
            "--set",
            "kstatefun.admin.port=8081",
            "--set",
            "num.standby.replicas=1",
            "--set",
            "security.protocol=SSL",
            "--set",
            "sasl.jaas.config=a=b");
    assertThat(o.bootstrapServers).isEqualTo("kafka:9093");
    assertThat(o.settings)
        .containsExactly(
            Map.entry("kstatefun.admin.port", "8081"),
            Map.entry("num.standby.replicas", "1"),
            Map.entry("security.protocol", "SSL"),
            Map.entry("sasl.jaas.config", "a=b"));
  }

  @Test
  void shouldExplainRunMistakes() {
    assertThatThrownBy(() -> RunCommand.parse("--application-id", "x"))
        .isInstanceOf(ParameterException.class)
        .hasMessage("Missing required option: '--module=FILE'");
    assertThatThrownBy(() -> RunCommand.parse("--module", "m.yaml", "--set", "novalue"))
        .isInstanceOf(ParameterException.class)
        .hasMessageContaining("should be in KEY=VALUE format");
    assertThatThrownBy(() -> RunCommand.parse("--module", "m.yaml", "--threads", "2"))
        .isInstanceOf(ParameterException.class)
        .hasMessageContaining("Unknown options: '--threads', '2'");
    assertThat(cli("run", "--module")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "Missing required parameter for option '--module' (FILE)", "Usage: kstatefun run");
  }

  @Test
  void shouldFailWithExitCodeTwoForAMissingModuleFile() {
    assertThat(cli("run", "--module", "does-not-exist.yaml", "--bootstrap-servers", "127.0.0.1:1"))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("module file does-not-exist.yaml does not exist");
  }

  @Test
  void shouldParseTheDocumentedDeadLetterCommands() {
    DeadLetterCommand list =
        DeadLetterCommand.parse(
            "--bootstrap-servers", "localhost:9092", "--topic", "my-app-dead-letters");
    assertThat(list.reinject).isFalse();
    assertThat(list.fromOffset).isZero();
    assertThat(list.limit()).isEqualTo(Long.MAX_VALUE);

    DeadLetterCommand reinject =
        DeadLetterCommand.parse(
            "--bootstrap-servers",
            "localhost:9092",
            "--topic",
            "my-app-dead-letters",
            "--reason",
            "FUNCTION_CALL_FAILED",
            "--from-offset",
            "120",
            "--limit",
            "50",
            "--reinject",
            "--loopback-topic",
            "my-app-loopback",
            "--set",
            "security.protocol=SSL");
    assertThat(reinject.reason).isEqualTo("FUNCTION_CALL_FAILED");
    assertThat(reinject.fromOffset).isEqualTo(120);
    assertThat(reinject.limit()).isEqualTo(50);
    assertThat(reinject.reinject).isTrue();
    assertThat(reinject.loopbackTopic).isEqualTo("my-app-loopback");
    assertThat(reinject.settings).containsExactly(Map.entry("security.protocol", "SSL"));
  }
}
