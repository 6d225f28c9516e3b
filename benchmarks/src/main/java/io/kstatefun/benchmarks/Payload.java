package io.kstatefun.benchmarks;

import java.nio.charset.StandardCharsets;

/**
 * The text records the benchmark sends through the system.
 *
 * <ul>
 *   <li>Ingress value: {@code seq,sendNanos,route}. {@code seq} counts the messages of one key from
 *       1; {@code sendNanos} is the driver's intended send time ({@link System#nanoTime()} of the
 *       driver JVM, which also reads the egress); {@code route} says where the message goes after
 *       the first function (empty: to the egress).
 *   <li>Egress value: {@code seq,sendNanos,count}, where {@code count} is the emitting address's
 *       persisted counter after this message. Exactly-once state means {@code count == seq}.
 * </ul>
 *
 * <p>Routes: {@code type@id;type@id;...} (the next hops, in order), or {@code *N} (fan out to
 * {@code N} counters with ids {@code <self>.0 .. <self>.N-1}).
 */
public final class Payload {

  private Payload() {}

  /** A parsed record: its sequence number, send time and the rest (route or count). */
  public record Parsed(long seq, long sendNanos, String rest) {

    /** The rest as a number (the count of an egress record). */
    public long restAsLong() {
      return Long.parseLong(rest);
    }
  }

  /** An ingress or hop value. */
  public static byte[] encode(long seq, long sendNanos, String rest) {
    return (seq + "," + sendNanos + "," + rest).getBytes(StandardCharsets.UTF_8);
  }

  /** An egress value. */
  public static byte[] egress(long seq, long sendNanos, long count) {
    return (seq + "," + sendNanos + "," + count).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Parses {@code seq,sendNanos,rest}.
   *
   * @throws IllegalArgumentException if the value does not have that shape
   */
  public static Parsed parse(byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("benchmark record without a value");
    }
    String s = new String(value, StandardCharsets.UTF_8);
    int a = s.indexOf(',');
    int b = a < 0 ? -1 : s.indexOf(',', a + 1);
    if (a <= 0 || b < 0) {
      throw new IllegalArgumentException("not a benchmark record: '" + abbreviate(s) + "'");
    }
    try {
      return new Parsed(
          Long.parseLong(s, 0, a, 10), Long.parseLong(s, a + 1, b, 10), s.substring(b + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a benchmark record: '" + abbreviate(s) + "'", e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
