package io.kstatefun.examples.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The options of {@code bin/kstatefun dev} as the README and the examples' READMEs show them. */
class DevCommandTest {

  @Test
  void shouldRunEveryExampleUntilCtrlCAtTwoEventsPerSecondOnPort9092IfFreeByDefault() {
    DevOptions options = DevCommand.parse();

    assertThat(options.duration()).isEmpty();
    assertThat(options.rate()).isEqualTo(2.0);
    assertThat(options.maxEvents()).isEqualTo(1000);
    assertThat(options.examples()).containsExactly("greeter", "billing", "cart");
    assertThat(options.kafkaPort()).isEqualTo(-1);
  }

  @Test
  void shouldParseEveryOption() {
    DevOptions options =
        DevCommand.parse(
            "--duration",
            "2.5",
            "--rate",
            "0.5",
            "--max-events",
            "7",
            "--examples",
            "cart, greeter",
            "--kafka-port",
            "0");

    assertThat(options)
        .isEqualTo(
            new DevOptions(
                Optional.of(Duration.ofMillis(2500)), 0.5, 7, List.of("cart", "greeter"), 0));
  }

  @Test
  void shouldRunOneExampleAsTheExamplesReadmesShow() {
    for (String example : List.of("greeter", "billing", "cart")) {
      assertThat(DevCommand.parse("--examples", example).examples()).containsExactly(example);
    }
  }

  @Test
  void shouldRejectBadOptionsNamingThem() {
    assertThatThrownBy(() -> DevCommand.parse("--speed", "3")).hasMessageContaining("'--speed'");
    assertThatThrownBy(() -> DevCommand.parse("--rate"))
        .hasMessageContaining("Missing required parameter for option '--rate'");
    assertThatThrownBy(() -> DevCommand.parse("--rate", "fast"))
        .hasMessageContaining("'fast' is not a double");
    assertThatThrownBy(() -> DevCommand.parse("--rate", "0"))
        .hasMessageContaining("--rate must be in (0, 1000]");
    assertThatThrownBy(() -> DevCommand.parse("--duration", "0"))
        .hasMessageContaining("--duration must be positive");
    assertThatThrownBy(() -> DevCommand.parse("--max-events", "-1"))
        .hasMessageContaining("--max-events");
    assertThatThrownBy(() -> DevCommand.parse("--examples", "greeter,chess"))
        .hasMessageContaining("unknown example 'chess'");
    assertThatThrownBy(() -> DevCommand.parse("--kafka-port", "70000"))
        .hasMessageContaining("--kafka-port");
  }
}
