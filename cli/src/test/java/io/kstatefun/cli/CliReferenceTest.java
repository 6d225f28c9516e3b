package io.kstatefun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/cli.md is the usage help of the commands, so the docs cannot drift from the code. */
class CliReferenceTest {

  private static final Path DOC = Path.of("..", "docs", "cli.md");

  @Test
  void shouldBeTheUsageHelpOfEveryCommand() throws IOException {
    String expected = CliReference.markdown();
    String actual = Files.readString(DOC, StandardCharsets.UTF_8);
    if (!actual.equals(expected)) {
      Path generated = Path.of("target", "cli.md");
      Files.writeString(generated, expected, StandardCharsets.UTF_8);
      assertThat(actual)
          .as(
              "docs/cli.md differs from the commands' picocli definitions; the up-to-date text is in "
                  + "cli/target/cli.md: copy it to docs/cli.md")
          .isEqualTo(expected);
    }
  }

  @Test
  void shouldHaveASectionWithTheOptionsOfEachCommand() {
    assertThat(CliReference.markdown())
        .contains(
            "## `kstatefun dev`",
            "## `kstatefun run`",
            "## `kstatefun kafka`",
            "## `kstatefun topic create`",
            "## `kstatefun dlq`")
        .contains(
            "--module=FILE",
            "--kafka-port=PORT",
            "--loopback-topic=TOPIC",
            "--partitions=N",
            "--dir=DIR")
        .doesNotContain("## `kstatefun help`");
  }
}
