package io.kstatefun.examples.dev;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Options of {@code bin/kstatefun dev}, validated; {@link DevCommand} parses them.
 *
 * @param duration stop by itself after this long; empty = run until Ctrl-C
 * @param rate sample events per second
 * @param maxEvents stop sending sample events after this many (results keep being shown)
 * @param examples the examples to run: {@code greeter}, {@code billing}, {@code cart}
 * @param kafkaPort the local broker's port; -1 = 9092 if free, else any free port; 0 = any free
 */
public record DevOptions(
    Optional<Duration> duration, double rate, int maxEvents, List<String> examples, int kafkaPort) {

  /** The examples the demo can run. */
  public static final List<String> ALL_EXAMPLES = List.of("greeter", "billing", "cart");

  public DevOptions {
    duration.ifPresent(
        d -> {
          if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
          }
        });
    if (!(rate > 0) || rate > 1000) {
      throw new IllegalArgumentException("--rate must be in (0, 1000], got " + rate);
    }
    if (maxEvents < 0) {
      throw new IllegalArgumentException("--max-events must not be negative, got " + maxEvents);
    }
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("--examples names no example");
    }
    for (String e : examples) {
      if (!ALL_EXAMPLES.contains(e)) {
        throw new IllegalArgumentException(
            "unknown example '" + e + "'; known: " + String.join(", ", ALL_EXAMPLES));
      }
    }
    examples = List.copyOf(examples);
    if (kafkaPort < -1 || kafkaPort > 65535) {
      throw new IllegalArgumentException("--kafka-port must be a port number, got " + kafkaPort);
    }
  }

  /** The defaults: until Ctrl-C, 2 events/s, at most 1000, every example, port 9092 if free. */
  public static DevOptions defaults() {
    return new DevOptions(Optional.empty(), 2, 1000, ALL_EXAMPLES, -1);
  }
}
