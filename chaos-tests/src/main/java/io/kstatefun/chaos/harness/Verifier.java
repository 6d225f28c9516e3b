package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.EgressRecord;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.ShadowModel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the invariants of a round against what the runtimes really produced (read with {@code
 * read_committed}) and the {@link ShadowModel}:
 *
 * <ul>
 *   <li>every expected message applied exactly once, at its receiver; nothing else applied;
 *   <li>no cancelled delayed message delivered: always for a cancellation in the scheduling
 *       invocation; for a cancellation by a later invocation, unless that invocation ran within
 *       {@code raceMarginMs} of the message's due time (a legitimate race, counted, never seen in
 *       practice since those delays are long);
 *   <li>per address, every reported counter is the previous one plus the message's increments, and
 *       the last one (and every verification) equals the model's count: never over-counted, nothing
 *       lost;
 *   <li>per (sender, receiver) pair, ordered messages applied in sequence-number order;
 *   <li>every expected egress record exactly once, no others;
 *   <li>no dead letters, no unreadable output.
 * </ul>
 */
public final class Verifier {

  /**
   * The outcome.
   *
   * @param violations the broken invariants (empty: the round passed)
   * @param cancelRaces deferred cancellations that raced with their message's due time
   * @param stats counts of what was checked
   */
  public record Report(List<Violation> violations, int cancelRaces, Map<String, Long> stats) {}

  private final Map<Violation.Kind, List<String>> found = new EnumMap<>(Violation.Kind.class);
  private final Map<Violation.Kind, Integer> counts = new EnumMap<>(Violation.Kind.class);

  private Verifier() {}

  public static Report check(
      ShadowModel model,
      Map<String, List<FunctionEvent>> eventsByAddress,
      List<EgressRecord> egress,
      List<EventCollector.DeadLetter> deadLetters,
      List<String> unreadable,
      long raceMarginMs) {
    return new Verifier()
        .run(model, eventsByAddress, egress, deadLetters, unreadable, raceMarginMs);
  }

  private Report run(
      ShadowModel model,
      Map<String, List<FunctionEvent>> eventsByAddress,
      List<EgressRecord> egress,
      List<EventCollector.DeadLetter> deadLetters,
      List<String> unreadable,
      long raceMarginMs) {
    Map<Long, ShadowModel.Expected> expected = model.delivered();
    Map<Long, ShadowModel.Cancelled> cancelled = model.cancelled();
    Map<Long, List<FunctionEvent>> appliedByUid = new HashMap<>();
    long events = 0;
    for (List<FunctionEvent> list : eventsByAddress.values()) {
      for (FunctionEvent e : list) {
        events++;
        if (e.isApplied()) {
          appliedByUid.computeIfAbsent(e.uid(), k -> new ArrayList<>()).add(e);
        }
      }
    }

    // Exactly once, at the right address.
    for (Map.Entry<Long, List<FunctionEvent>> entry : new TreeMap<>(appliedByUid).entrySet()) {
      long uid = entry.getKey();
      List<FunctionEvent> applied = entry.getValue();
      FunctionEvent first = applied.get(0);
      if (applied.size() > 1) {
        add(
            Violation.Kind.DUPLICATE_DELIVERY,
            "message "
                + uid
                + " (from "
                + first.from()
                + ", seq "
                + first.seq()
                + ") applied "
                + applied.size()
                + "x at "
                + first.fn()
                + ", counts "
                + applied.stream().map(FunctionEvent::count).toList());
      }
      ShadowModel.Expected exp = expected.get(uid);
      if (exp == null && !cancelled.containsKey(uid)) {
        add(
            Violation.Kind.UNKNOWN_MESSAGE,
            "message " + uid + " applied at " + first.fn() + " was never sent");
      } else if (exp != null && !exp.target().toString().equals(first.fn())) {
        add(
            Violation.Kind.UNKNOWN_MESSAGE,
            "message " + uid + " for " + exp.target() + " applied at " + first.fn());
      }
    }
    for (ShadowModel.Expected exp : new TreeMap<>(expected).values()) {
      if (!appliedByUid.containsKey(exp.uid())) {
        add(
            Violation.Kind.LOST_MESSAGE,
            "message "
                + exp.uid()
                + " to "
                + exp.target()
                + " from "
                + exp.from()
                + (exp.ordered() ? "" : " (delayed)")
                + " never applied");
      }
    }

    // Cancelled delayed messages.
    int races = 0;
    for (ShadowModel.Cancelled c : new TreeMap<>(cancelled).values()) {
      List<FunctionEvent> applied = appliedByUid.get(c.uid());
      if (applied == null) {
        continue;
      }
      if (!c.deferred()) {
        add(
            Violation.Kind.CANCELLED_DELIVERED,
            "message "
                + c.uid()
                + " to "
                + c.target()
                + " delivered although "
                + c.sender()
                + " cancelled it in the invocation that scheduled it (message "
                + c.scheduledBy()
                + ")");
        continue;
      }
      FunctionEvent scheduled = firstApplied(appliedByUid, c.scheduledBy());
      FunctionEvent cancelling = firstApplied(appliedByUid, c.cancelledBy());
      if (scheduled == null || cancelling == null) {
        races++; // the cancellation itself was lost: reported as a lost message
        continue;
      }
      long due = scheduled.ts() + c.delayMs();
      if (cancelling.ts() + raceMarginMs < due) {
        add(
            Violation.Kind.CANCELLED_DELIVERED,
            "message "
                + c.uid()
                + " to "
                + c.target()
                + " delivered although "
                + c.sender()
                + " cancelled it "
                + (due - cancelling.ts())
                + " ms before it was due (message "
                + c.cancelledBy()
                + ")");
      } else {
        races++;
      }
    }

    // Counters: consistent step by step, and final values as modelled.
    Set<String> over = new TreeSet<>();
    Set<String> under = new TreeSet<>();
    Map<String, String> countDetail = new LinkedHashMap<>();
    for (Map.Entry<String, List<FunctionEvent>> entry : eventsByAddress.entrySet()) {
      String address = entry.getKey();
      long previous = 0;
      long previousUid = 0;
      for (FunctionEvent e : entry.getValue()) {
        if (e.isApplied()) {
          if (e.count() != previous + e.incs()) {
            add(
                Violation.Kind.STATE_INCONSISTENT,
                address
                    + ": counter "
                    + previous
                    + " after message "
                    + previousUid
                    + ", then message "
                    + e.uid()
                    + " (+"
                    + e.incs()
                    + ") reported "
                    + e.count());
          }
          previous = e.count();
          previousUid = e.uid();
        } else if (e.isVerify() && e.actual() > e.expected()) {
          over.add(address);
          countDetail.putIfAbsent(
              address,
              "verify "
                  + e.uid()
                  + " at "
                  + address
                  + ": expected "
                  + e.expected()
                  + ", actual "
                  + e.actual());
        }
      }
    }
    Map<FnAddress, Long> modelCounts = model.counts();
    Set<String> addresses = new TreeSet<>(eventsByAddress.keySet());
    modelCounts.keySet().forEach(a -> addresses.add(a.toString()));
    for (String address : addresses) {
      long want = modelCounts.getOrDefault(FnAddress.parse(address), 0L);
      long have = lastCount(eventsByAddress.getOrDefault(address, List.of()));
      if (have > want) {
        over.add(address);
        countDetail.putIfAbsent(address, address + ": counter " + have + ", expected " + want);
      } else if (have < want) {
        under.add(address);
        countDetail.putIfAbsent(address, address + ": counter " + have + ", expected " + want);
      }
      FunctionEvent verify = lastVerify(eventsByAddress.getOrDefault(address, List.of()));
      if (verify != null && verify.expected() == want && verify.actual() != want) {
        (verify.actual() > want ? over : under).add(address);
        countDetail.putIfAbsent(
            address,
            "last verify at " + address + ": expected " + want + ", actual " + verify.actual());
      }
    }
    for (String a : over) {
      add(Violation.Kind.OVER_COUNT, countDetail.get(a));
    }
    for (String a : under) {
      add(Violation.Kind.UNDER_COUNT, countDetail.get(a));
    }

    // FIFO per (sender, receiver).
    Map<String, List<Long>> seqsByPair = new TreeMap<>();
    for (List<FunctionEvent> list : eventsByAddress.values()) {
      for (FunctionEvent e : list) {
        if (e.isApplied() && e.seq() > 0) {
          seqsByPair
              .computeIfAbsent(ShadowModel.pair(e.from(), e.fn()), k -> new ArrayList<>())
              .add(e.seq());
        }
      }
    }
    long pairsChecked = 0;
    for (Map.Entry<String, List<Long>> entry : seqsByPair.entrySet()) {
      pairsChecked++;
      List<Long> seqs = entry.getValue();
      long max = 0;
      for (int i = 0; i < seqs.size(); i++) {
        if (seqs.get(i) < max) {
          add(
              Violation.Kind.FIFO,
              entry.getKey()
                  + ": seq "
                  + seqs.get(i)
                  + " applied after seq "
                  + max
                  + " (order "
                  + abbreviate(seqs, i)
                  + ")");
          break;
        }
        max = Math.max(max, seqs.get(i));
      }
    }

    // Egress.
    Map<Long, Integer> egressCounts = new TreeMap<>();
    for (EgressRecord r : egress) {
      egressCounts.merge(r.uid(), 1, Integer::sum);
    }
    Set<Long> expectedEgress = model.egress();
    egressCounts.forEach(
        (uid, n) -> {
          if (n > 1) {
            add(Violation.Kind.DUPLICATE_EGRESS, "egress record " + uid + " appeared " + n + "x");
          }
          if (!expectedEgress.contains(uid)) {
            add(Violation.Kind.UNKNOWN_EGRESS, "egress record " + uid + " was never asked for");
          }
        });
    for (long uid : expectedEgress) {
      if (!egressCounts.containsKey(uid)) {
        add(Violation.Kind.LOST_EGRESS, "egress record " + uid + " never appeared");
      }
    }

    for (EventCollector.DeadLetter d : deadLetters) {
      add(Violation.Kind.DEAD_LETTER, d.reason() + " at " + d.address() + ": " + d.detail());
    }
    for (String u : unreadable) {
      add(Violation.Kind.UNREADABLE_OUTPUT, u);
    }

    List<Violation> violations = new ArrayList<>();
    found.forEach(
        (kind, examples) -> violations.add(new Violation(kind, counts.get(kind), examples)));
    Map<String, Long> stats = new LinkedHashMap<>();
    stats.put("messagesExpected", (long) expected.size());
    stats.put("messagesApplied", (long) appliedByUid.size());
    stats.put("events", events);
    stats.put("addresses", (long) addresses.size());
    stats.put("fifoPairs", pairsChecked);
    stats.put("egressExpected", (long) expectedEgress.size());
    stats.put("egressRecords", (long) egress.size());
    stats.put("cancelled", (long) cancelled.size());
    stats.put("deadLetters", (long) deadLetters.size());
    return new Report(List.copyOf(violations), races, stats);
  }

  private void add(Violation.Kind kind, String example) {
    counts.merge(kind, 1, Integer::sum);
    List<String> list = found.computeIfAbsent(kind, k -> new ArrayList<>());
    if (list.size() < Violation.MAX_EXAMPLES) {
      list.add(example);
    }
  }

  private static FunctionEvent firstApplied(Map<Long, List<FunctionEvent>> appliedByUid, long uid) {
    List<FunctionEvent> list = appliedByUid.get(uid);
    return list == null ? null : list.get(0);
  }

  private static long lastCount(List<FunctionEvent> events) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).isApplied()) {
        return events.get(i).count();
      }
    }
    return 0;
  }

  private static FunctionEvent lastVerify(List<FunctionEvent> events) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).isVerify()) {
        return events.get(i);
      }
    }
    return null;
  }

  private static String abbreviate(List<Long> seqs, int around) {
    int from = Math.max(0, around - 4);
    int to = Math.min(seqs.size(), around + 4);
    return (from > 0 ? "... " : "") + seqs.subList(from, to) + (to < seqs.size() ? " ..." : "");
  }
}
