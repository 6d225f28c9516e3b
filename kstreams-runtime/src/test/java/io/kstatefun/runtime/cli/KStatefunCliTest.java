package io.kstatefun.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code bin/kstatefun} command line as the README shows it. */
class KStatefunCliTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int cli(String... args) {
    return KStatefunCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void shouldPrintTheUsageOfEveryCommandOnHelp() {
    assertThat(cli("help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("kstatefun run --module FILE", "kstatefun kafka --port N --dir DIR",
            "kstatefun topic create NAME", "kstatefun dlq --bootstrap-servers HOST:PORT --topic DLQ",
            "kstatefun help");
    assertThat(cli("--help")).isZero();
  }

  @Test
  void shouldPrintTheUsageAndFailWithoutACommandOrWithAnUnknownOne() {
    assertThat(cli()).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage:");
    assertThat(cli("start")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown command 'start'", "Usage:");
  }

  @Test
  void shouldParseTheReadmesRunCommand() {
    KStatefunCli.RunOptions o =
        KStatefunCli.parseRun(
            new String[] {"--module", "module.yaml", "--application-id", "my-app", "--state-dir", "./data/my-app"});
    assertThat(o.modules()).containsExactly(Path.of("module.yaml"));
    assertThat(o.applicationId()).isEqualTo("my-app");
    assertThat(o.stateDir()).isEqualTo(Path.of("./data/my-app"));
    assertThat(o.bootstrapServers()).as("default: the module's address").isNull();
  }

  @Test
  void shouldDefaultTheApplicationIdAndStateDirAsTheReadmeSays() {
    KStatefunCli.RunOptions o = KStatefunCli.parseRun(new String[] {"--module", "a.yaml", "--module", "b.yaml"});
    assertThat(o.modules()).containsExactly(Path.of("a.yaml"), Path.of("b.yaml"));
    assertThat(o.applicationId()).isEqualTo("kstatefun");
    assertThat(o.stateDir()).isEqualTo(Path.of("kstatefun-state", "kstatefun"));
  }

  @Test
  void shouldPassEverySetToTheRuntimeProperties() {
    KStatefunCli.RunOptions o =
        KStatefunCli.parseRun(
            new String[] {"--module", "module.yaml", "--bootstrap-servers", "kafka:9093",
                "--set", "kstatefun.admin.port=8081", "--set", "num.standby.replicas=1",
                "--set", "security.protocol=SSL", "--set", "sasl.jaas.config=a=b"});
    assertThat(o.bootstrapServers()).isEqualTo("kafka:9093");
    assertThat(o.settings())
        .containsExactly(
            Map.entry("kstatefun.admin.port", "8081"),
            Map.entry("num.standby.replicas", "1"),
            Map.entry("security.protocol", "SSL"),
            Map.entry("sasl.jaas.config", "a=b"));
  }

  @Test
  void shouldExplainRunMistakes() {
    assertThatThrownBy(() -> KStatefunCli.parseRun(new String[] {"--application-id", "x"}))
        .hasMessage("--module FILE is required");
    assertThatThrownBy(() -> KStatefunCli.parseRun(new String[] {"--module", "m.yaml", "--set", "novalue"}))
        .hasMessageContaining("--set expects KEY=VALUE");
    assertThatThrownBy(() -> KStatefunCli.parseRun(new String[] {"--module", "m.yaml", "--threads", "2"}))
        .hasMessage("unknown option '--threads'");
    assertThat(cli("run", "--module")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("kstatefun run: --module needs a value");
  }

  @Test
  void shouldParseTheDocumentedDeadLetterCommands() {
    DeadLetterTool.Options list =
        DeadLetterTool.parse(new String[] {"--bootstrap-servers", "localhost:9092", "--topic", "my-app-dead-letters"});
    assertThat(list.reinject()).isFalse();
    assertThat(list.fromOffset()).isZero();
    assertThat(list.limit()).isEqualTo(Long.MAX_VALUE);

    DeadLetterTool.Options reinject =
        DeadLetterTool.parse(
            new String[] {"--bootstrap-servers", "localhost:9092", "--topic", "my-app-dead-letters",
                "--reason", "FUNCTION_CALL_FAILED", "--from-offset", "120", "--limit", "50",
                "--reinject", "--loopback-topic", "my-app-loopback", "--set", "security.protocol=SSL"});
    assertThat(reinject.reason()).isEqualTo("FUNCTION_CALL_FAILED");
    assertThat(reinject.fromOffset()).isEqualTo(120);
    assertThat(reinject.limit()).isEqualTo(50);
    assertThat(reinject.reinject()).isTrue();
    assertThat(reinject.loopbackTopic()).isEqualTo("my-app-loopback");
    assertThat(reinject.settings()).containsExactly(Map.entry("security.protocol", "SSL"));
  }
}
