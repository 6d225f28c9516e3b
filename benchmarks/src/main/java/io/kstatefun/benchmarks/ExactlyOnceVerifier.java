package io.kstatefun.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks the egress of a run for exactly-once delivery: every stream (see {@link StreamKeys}) must
 * carry the sequence numbers {@code 1..n} exactly once and in order, and the emitting function's
 * counter must equal the sequence number (state updated exactly once per message).
 *
 * <p>Threading: {@link #accept} is called by the egress reader thread only; the driver calls the
 * rest after the reader stopped, or reads approximate values while it runs.
 */
public final class ExactlyOnceVerifier {

  private static final int MAX_EXAMPLES = 10;

  private final int[] last;
  private final int fanout;
  private long received;
  private long duplicates;
  private long gaps;
  private long stateMismatches;
  private long foreign;
  private final List<String> examples = new ArrayList<>();

  /**
   * @param roots number of root keys
   * @param fanout streams per root key (1 unless the workload fans out)
   */
  public ExactlyOnceVerifier(int roots, int fanout) {
    this.fanout = Math.max(1, fanout);
    this.last = new int[Math.multiplyExact(roots, this.fanout)];
  }

  /** One egress record. */
  public void accept(String key, long seq, long count) {
    received++;
    int stream = StreamKeys.stream(key, fanout);
    if (stream < 0 || stream >= last.length) {
      foreign++;
      example("record with an unexpected key '" + key + "'");
      return;
    }
    long prev = last[stream];
    if (seq <= prev) {
      duplicates++;
      example(key + ": seq " + seq + " again (last " + prev + ")");
      return;
    }
    if (seq > prev + 1) {
      gaps += seq - prev - 1;
      example(key + ": seq " + seq + " after " + prev);
    }
    last[stream] = (int) seq;
    if (count != seq) {
      stateMismatches++;
      example(key + ": counter " + count + " at seq " + seq);
    }
  }

  /** A record whose value could not be parsed. */
  public void malformed(String key, String problem) {
    received++;
    foreign++;
    example(key + ": " + problem);
  }

  private void example(String s) {
    if (examples.size() < MAX_EXAMPLES) {
      examples.add(s);
    }
  }

  public long received() {
    return received;
  }

  /**
   * The outcome, given how many messages were sent to each root key.
   *
   * @param sentPerRoot messages sent per root key (index = key index)
   */
  public Result result(int[] sentPerRoot) {
    long missing = 0;
    long expected = 0;
    for (int stream = 0; stream < last.length; stream++) {
      int sent = sentPerRoot[stream / fanout];
      expected += sent;
      if (last[stream] < sent) {
        missing += sent - last[stream];
      }
    }
    return new Result(
        expected,
        received,
        missing + gaps,
        duplicates,
        stateMismatches,
        foreign,
        List.copyOf(examples));
  }

  /**
   * What the verifier found.
   *
   * @param expected egress records expected
   * @param received egress records read
   * @param missing sequence numbers never seen (gaps and missing tails)
   * @param duplicates records whose sequence number was seen before (or came out of order)
   * @param stateMismatches records whose counter differs from their sequence number
   * @param foreign records that do not belong to the workload
   * @param examples the first problems, for the log
   */
  public record Result(
      long expected,
      long received,
      long missing,
      long duplicates,
      long stateMismatches,
      long foreign,
      List<String> examples) {

    public boolean exactlyOnce() {
      return missing == 0 && duplicates == 0 && stateMismatches == 0 && foreign == 0;
    }
  }
}
