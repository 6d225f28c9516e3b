package io.kstatefun.chaos.harness;

import java.util.List;

/**
 * A broken invariant, found in the real outputs of a round.
 *
 * @param kind which invariant
 * @param count how many instances were found
 * @param examples a few of them, described
 */
public record Violation(Kind kind, int count, List<String> examples) {

  /** The invariants. */
  public enum Kind {
    /** A message's effects were applied more than once. */
    DUPLICATE_DELIVERY,
    /** A message that must be delivered never was. */
    LOST_MESSAGE,
    /** An applied message the workload never sent. */
    UNKNOWN_MESSAGE,
    /** A cancelled delayed message was delivered (after its cancellation). */
    CANCELLED_DELIVERED,
    /** A counter is above what the model expects (an effect counted twice). */
    OVER_COUNT,
    /** A counter stays below what the model expects (an effect lost). */
    UNDER_COUNT,
    /** A reported counter does not follow from the previous one plus the message's increments. */
    STATE_INCONSISTENT,
    /** Messages of one (sender, receiver) pair were not applied in send order exactly once. */
    FIFO,
    /** An egress record appeared more than once. */
    DUPLICATE_EGRESS,
    /** An expected egress record never appeared. */
    LOST_EGRESS,
    /** An egress record the workload never asked for. */
    UNKNOWN_EGRESS,
    /** A message went to the dead-letter topic. */
    DEAD_LETTER,
    /** Progress did not resume within the bound after a fault. */
    NO_PROGRESS,
    /** A runtime instance did not stop cleanly after SIGTERM. */
    SHUTDOWN,
    /** An output record could not be read. */
    UNREADABLE_OUTPUT
  }

  public static final int MAX_EXAMPLES = 8;

  public Violation {
    examples =
        List.copyOf(examples.size() > MAX_EXAMPLES ? examples.subList(0, MAX_EXAMPLES) : examples);
  }

  @Override
  public String toString() {
    return kind + " x" + count + ": " + String.join("; ", examples);
  }
}
