package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.functions.ChaosLogic;
import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.EgressRecord;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.Json;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference runtime for tests of the verifier: runs {@link ChaosLogic} with StateFun's semantics,
 * one message at a time, in virtual time (one global FIFO queue, so every pair's order holds;
 * delayed messages fire in due order; cancellation by token of the sender). Its output has the
 * shape of the real runtimes' output, so the verifier must find nothing wrong with it; tests then
 * break it on purpose.
 */
final class InMemoryRuntime {

  private record Pending(FnAddress target, ChaosMessage message) {}

  private record Timer(long due, long seq, FnAddress sender, String token, Pending pending) {}

  private final ChaosLogic logic = new ChaosLogic("events", "egress");
  private final Deque<Pending> queue = new ArrayDeque<>();
  private final List<Timer> timers = new ArrayList<>();
  private final Map<FnAddress, ChaosLogic.State> states = new HashMap<>();
  final Map<String, List<FunctionEvent>> events = new LinkedHashMap<>();
  final List<EgressRecord> egress = new ArrayList<>();
  private long now = 1_000_000;
  private long timerSeq;

  // Bugs to inject, by message uid.
  final java.util.Set<Long> applyTwice = new java.util.HashSet<>();
  final java.util.Set<Long> lose = new java.util.HashSet<>();
  final java.util.Set<Long> deliverLate = new java.util.HashSet<>();
  final java.util.Set<Long> forgetStateBefore = new java.util.HashSet<>();
  boolean ignoreCancellations;

  void ingress(FnAddress target, ChaosMessage message) {
    queue.add(new Pending(target, message));
  }

  /** Delivers everything, timers included. */
  void runToCompletion() {
    while (!queue.isEmpty() || !timers.isEmpty()) {
      if (queue.isEmpty()) {
        Timer next =
            timers.stream()
                .min(
                    (a, b) ->
                        a.due() != b.due()
                            ? Long.compare(a.due(), b.due())
                            : Long.compare(a.seq(), b.seq()))
                .orElseThrow();
        timers.remove(next);
        now = Math.max(now, next.due());
        queue.add(next.pending());
        continue;
      }
      Pending p = queue.poll();
      long uid = p.message().uid();
      if (lose.remove(uid)) {
        continue;
      }
      if (deliverLate.remove(uid)) {
        queue.add(p);
        continue;
      }
      if (forgetStateBefore.remove(uid)) {
        states.remove(p.target());
      }
      now += 1;
      ChaosLogic.State state = states.getOrDefault(p.target(), ChaosLogic.State.EMPTY);
      states.put(p.target(), logic.apply(p.target(), state, p.message(), now, effects(p.target())));
      if (applyTwice.remove(uid)) {
        // The effects are applied again on top of the new state (an at-least-once replay).
        states.put(
            p.target(),
            logic.apply(p.target(), states.get(p.target()), p.message(), now, effects(p.target())));
      }
    }
  }

  private ChaosLogic.Effects effects(FnAddress self) {
    return new ChaosLogic.Effects() {
      @Override
      public void send(FnAddress to, ChaosMessage message) {
        queue.add(new Pending(to, message));
      }

      @Override
      public void sendAfter(Duration delay, String token, FnAddress to, ChaosMessage message) {
        timers.add(
            new Timer(now + delay.toMillis(), timerSeq++, self, token, new Pending(to, message)));
      }

      @Override
      public void cancel(String token) {
        if (ignoreCancellations) {
          return;
        }
        for (Iterator<Timer> it = timers.iterator(); it.hasNext(); ) {
          Timer t = it.next();
          if (t.sender().equals(self) && token.equals(t.token())) {
            it.remove();
          }
        }
      }

      @Override
      public void kafka(String topic, String key, byte[] value) {
        if (topic.equals("events")) {
          FunctionEvent e = Json.read(value, FunctionEvent.class);
          events.computeIfAbsent(e.fn(), k -> new ArrayList<>()).add(e);
        } else {
          egress.add(Json.read(value, EgressRecord.class));
        }
      }
    };
  }
}
