package io.kstatefun.chaos.workload;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The expected outcome of everything the driver sent: which messages must be delivered (exactly
 * once), which must not (cancelled), the final counter of every address, how many ordered messages
 * every (sender, receiver) pair exchanges, and which egress records must appear (exactly once).
 *
 * <p>It is computed from the message trees alone: every {@code inc} of a delivered message adds one
 * to its receiver, whatever the timing. Cancelled delayed messages carry no commands.
 *
 * <p>Threading: the driver adds messages while the verifier may read; all methods synchronize.
 */
public final class ShadowModel {

  /**
   * A message that must be delivered exactly once.
   *
   * @param uid its id
   * @param target its receiver
   * @param from its sender ({@link ChaosMessage#DRIVER} or an address)
   * @param ordered whether it belongs to the (sender, receiver) FIFO sequence
   * @param incs what it adds to the receiver's counter
   */
  public record Expected(long uid, FnAddress target, String from, boolean ordered, int incs) {}

  /**
   * A delayed message that is cancelled and must never be delivered.
   *
   * @param uid its id
   * @param target its would-be receiver
   * @param sender the address that scheduled (and cancels) it
   * @param delayMs its delay
   * @param scheduledBy the message whose invocation scheduled it
   * @param cancelledBy the message whose invocation cancels it (the same one, or a later message to
   *     self)
   */
  public record Cancelled(
      long uid,
      FnAddress target,
      FnAddress sender,
      long delayMs,
      long scheduledBy,
      long cancelledBy) {
    /** Whether the cancellation happens in a later invocation than the scheduling. */
    public boolean deferred() {
      return scheduledBy != cancelledBy;
    }
  }

  private final Map<Long, Expected> delivered = new HashMap<>();
  private final Map<Long, Cancelled> cancelled = new HashMap<>();
  private final Map<FnAddress, Long> counts = new TreeMap<>();
  private final Map<String, Long> pairs = new TreeMap<>();
  private final Set<Long> egress = new TreeSet<>();

  /** The driver sent {@code message} to {@code target}; everything it causes becomes expected. */
  public synchronized void addIngress(FnAddress target, ChaosMessage message) {
    walk(target, message.from(), message.uid(), message.ordered(), message.cmds());
  }

  private void walk(FnAddress target, String from, long uid, boolean ordered, List<Command> cmds) {
    if (delivered.containsKey(uid) || cancelled.containsKey(uid)) {
      throw new IllegalArgumentException("message id " + uid + " used twice");
    }
    int incs = 0;
    Map<String, Long> cancelledBy = new LinkedHashMap<>();
    for (Command c : cmds) {
      switch (c.op()) {
        case Command.INC -> incs++;
        case Command.CANCEL -> cancelledBy.put(c.token(), uid);
        case Command.SEND -> {
          if (c.target().equals(target)) {
            for (Command inner : c.cmds()) {
              if (inner.op().equals(Command.CANCEL)) {
                cancelledBy.put(inner.token(), c.uid());
              }
            }
          }
        }
        default -> {}
      }
    }
    delivered.put(uid, new Expected(uid, target, from, ordered, incs));
    counts.merge(target, (long) incs, Long::sum);
    if (ordered) {
      pairs.merge(pair(from, target.toString()), 1L, Long::sum);
    }
    for (Command c : cmds) {
      switch (c.op()) {
        case Command.SEND -> walk(c.target(), target.toString(), c.uid(), true, c.cmds());
        case Command.AFTER -> {
          Long by = c.token() == null ? null : cancelledBy.get(c.token());
          if (by != null) {
            if (!c.cmds().isEmpty()) {
              throw new IllegalArgumentException(
                  "a cancelled message must carry no commands: " + c);
            }
            cancelled.put(
                c.uid(), new Cancelled(c.uid(), c.target(), target, c.delayMs(), uid, by));
          } else {
            walk(c.target(), target.toString(), c.uid(), false, c.cmds());
          }
        }
        case Command.EGRESS -> egress.add(c.uid());
        default -> {}
      }
    }
  }

  /** The key of a (sender, receiver) pair. */
  public static String pair(String from, String to) {
    return from + " -> " + to;
  }

  public synchronized Map<Long, Expected> delivered() {
    return Map.copyOf(delivered);
  }

  public synchronized Map<Long, Cancelled> cancelled() {
    return Map.copyOf(cancelled);
  }

  /** The expected final counter per address (addresses that received messages). */
  public synchronized Map<FnAddress, Long> counts() {
    return new TreeMap<>(counts);
  }

  public synchronized long count(FnAddress address) {
    return counts.getOrDefault(address, 0L);
  }

  /** The number of ordered messages per (sender, receiver) pair ({@link #pair}). */
  public synchronized Map<String, Long> pairs() {
    return new TreeMap<>(pairs);
  }

  public synchronized Set<Long> egress() {
    return new TreeSet<>(egress);
  }

  public synchronized int messageCount() {
    return delivered.size();
  }
}
