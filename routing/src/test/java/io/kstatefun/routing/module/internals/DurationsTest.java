package io.kstatefun.routing.module.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "1500, PT1.5S",
    "500ms, PT0.5S",
    "500 ms, PT0.5S",
    "15s, PT15S",
    "15 sec, PT15S",
    "10second, PT10S",
    "10seconds, PT10S",
    "2m, PT2M",
    "1 min, PT1M",
    "1minute, PT1M",
    "2 minutes, PT2M",
    "15min, PT15M",
    "1h, PT1H",
    "3 hours, PT3H",
    "1d, PT24H",
    "2 MIN, PT2M",
    "'  7 s  ', PT7S",
    "250us, PT0.00025S",
    "10ns, PT0.00000001S",
  })
  void shouldParseStatefunDurations(String text, String expected) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "min", "-1s", "1.5s", "2 parsecs", "1 2 s"})
  void shouldRejectMalformedDurations(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"99999999999999999999 ms", "9223372036854775807 d"})
  void shouldRejectOverflowingDurations(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large");
  }
}
