package io.kstatefun.routing.module.internals;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses durations in the format StateFun inherits from Flink: a non-negative integer, optional
 * whitespace, and an optional case-insensitive unit. Without a unit the number is milliseconds.
 *
 * <table>
 *   <caption>Units</caption>
 *   <tr><th>Unit</th><th>Labels</th></tr>
 *   <tr><td>days</td><td>d, day, days</td></tr>
 *   <tr><td>hours</td><td>h, hour, hours</td></tr>
 *   <tr><td>minutes</td><td>m, min, minute, minutes</td></tr>
 *   <tr><td>seconds</td><td>s, sec, secs, second, seconds</td></tr>
 *   <tr><td>milliseconds</td><td>ms, milli, millis, millisecond, milliseconds</td></tr>
 *   <tr><td>microseconds</td><td>µs, us, micro, micros, microsecond, microseconds</td></tr>
 *   <tr><td>nanoseconds</td><td>ns, nano, nanos, nanosecond, nanoseconds</td></tr>
 * </table>
 *
 * <p>Examples: {@code 2m}, {@code 15s}, {@code 500ms}, {@code 1 min}, {@code 2 minutes}, {@code
 * 1h}, {@code 1500}. Not API.
 */
public final class Durations {

  /** A short description of the accepted format, for error messages. */
  public static final String EXPECTED =
      "a duration such as 500ms, 15s, 2m, 1 min, 2 minutes or 1h (a number without unit means"
          + " milliseconds)";

  private static final Map<String, ChronoUnit> UNITS = units();

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param text the text
   * @return the duration
   * @throws IllegalArgumentException with a message saying what is wrong
   */
  public static Duration parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("the duration is empty");
    }
    int end = 0;
    while (end < trimmed.length() && trimmed.charAt(end) >= '0' && trimmed.charAt(end) <= '9') {
      end++;
    }
    if (end == 0) {
      throw new IllegalArgumentException("a duration must start with a non-negative integer");
    }
    long amount;
    try {
      amount = Long.parseLong(trimmed.substring(0, end));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the number is too large");
    }
    String label = trimmed.substring(end).trim().toLowerCase(Locale.ROOT);
    ChronoUnit unit = label.isEmpty() ? ChronoUnit.MILLIS : UNITS.get(label);
    if (unit == null) {
      throw new IllegalArgumentException(
          "unknown time unit '" + label + "'; known units: " + String.join(", ", UNITS.keySet()));
    }
    try {
      return Duration.of(amount, unit);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("the duration is too large");
    }
  }

  private static Map<String, ChronoUnit> units() {
    Map<String, ChronoUnit> units = new LinkedHashMap<>();
    put(units, ChronoUnit.DAYS, "d", "day", "days");
    put(units, ChronoUnit.HOURS, "h", "hour", "hours");
    put(units, ChronoUnit.MINUTES, "m", "min", "minute", "minutes");
    put(units, ChronoUnit.SECONDS, "s", "sec", "secs", "second", "seconds");
    put(units, ChronoUnit.MILLIS, "ms", "milli", "millis", "millisecond", "milliseconds");
    put(units, ChronoUnit.MICROS, "µs", "us", "micro", "micros", "microsecond", "microseconds");
    put(units, ChronoUnit.NANOS, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
    return Collections.unmodifiableMap(units);
  }

  private static void put(Map<String, ChronoUnit> units, ChronoUnit unit, String... labels) {
    for (String label : labels) {
      units.put(label, unit);
    }
  }
}
