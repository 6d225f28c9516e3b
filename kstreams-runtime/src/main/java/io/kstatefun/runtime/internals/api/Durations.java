package io.kstatefun.runtime.internals.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in API parameters: a number of milliseconds ({@code 1500}) or a number with a unit
 * ({@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}).
 */
final class Durations {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

  private Durations() {}

  /**
   * @throws IllegalArgumentException naming the value and the expected form
   */
  static long parseMillis(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration such as 1500, 500ms, 10s, 2m or 1h");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large a duration");
    }
    String unit = m.group(2) == null ? "ms" : m.group(2);
    long factor =
        switch (unit) {
          case "s" -> 1000L;
          case "m" -> 60_000L;
          case "h" -> 3_600_000L;
          default -> 1L;
        };
    if (n > Long.MAX_VALUE / factor / 2) {
      throw new IllegalArgumentException("'" + text + "' is too large a duration");
    }
    return n * factor;
  }
}
