package io.kstatefun.examples.dev;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Options of {@code bin/kstatefun dev}.
 *
 * @param duration stop by itself after this long; empty = run until Ctrl-C
 * @param rate sample events per second
 * @param maxEvents stop sending sample events after this many (results keep being shown)
 * @param examples the examples to run: {@code greeter}, {@code billing}, {@code cart}
 * @param kafkaPort the local broker's port; -1 = 9092 if free, else any free port; 0 = any free
 */
public record DevOptions(Optional<Duration> duration, double rate, int maxEvents, List<String> examples, int kafkaPort) {

  /** The examples the demo can run. */
  public static final List<String> ALL_EXAMPLES = List.of("greeter", "billing", "cart");

  static final String USAGE =
      String.join(
          "\n",
          "Usage: kstatefun dev [--duration SECONDS] [--rate N] [--max-events N]",
          "                     [--examples greeter,billing,cart] [--kafka-port PORT]",
          "  Starts a local Kafka broker, the kstatefun runtime and the example functions in this",
          "  process, sends sample events and shows what comes out of the egress topics.",
          "  --duration SECONDS  stop this long after start-up (default: run until Ctrl-C)",
          "  --rate N            sample events per second (default 2)",
          "  --max-events N      stop sending after N events (default 1000)",
          "  --examples LIST     which examples to run (default greeter,billing,cart)",
          "  --kafka-port PORT   the broker's port (default 9092 if free, else a free one; 0 = any free)");

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
        throw new IllegalArgumentException("unknown example '" + e + "'; known: " + String.join(", ", ALL_EXAMPLES));
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

  /**
   * Parses command line arguments.
   *
   * @throws IllegalArgumentException naming the bad option
   */
  public static DevOptions parse(String... args) {
    DevOptions d = defaults();
    Optional<Duration> duration = d.duration();
    double rate = d.rate();
    int maxEvents = d.maxEvents();
    List<String> examples = d.examples();
    int kafkaPort = d.kafkaPort();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      switch (option) {
        case "--duration" -> duration = Optional.of(Duration.ofMillis(Math.round(number(args, ++i, option) * 1000)));
        case "--rate" -> rate = number(args, ++i, option);
        case "--max-events" -> maxEvents = integer(args, ++i, option);
        case "--examples" -> examples = new ArrayList<>(new LinkedHashSet<>(List.of(value(args, ++i, option).split("\\s*,\\s*"))));
        case "--kafka-port" -> kafkaPort = integer(args, ++i, option);
        default -> throw new IllegalArgumentException("unknown option '" + option + "'");
      }
    }
    return new DevOptions(duration, rate, maxEvents, examples, kafkaPort);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static double number(String[] args, int i, String option) {
    String v = value(args, i, option);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects a number, got '" + v + "'");
    }
  }

  private static int integer(String[] args, int i, String option) {
    String v = value(args, i, option);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects an integer, got '" + v + "'");
    }
  }
}
