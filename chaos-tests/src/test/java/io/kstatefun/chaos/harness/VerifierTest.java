package io.kstatefun.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.Command;
import io.kstatefun.chaos.workload.EgressRecord;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.ShadowModel;
import io.kstatefun.chaos.workload.WorkloadGenerator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The verifier against a reference runtime ({@link InMemoryRuntime}): it passes a correct run of a
 * generated workload, and catches every kind of broken runtime it is meant to catch.
 */
@Timeout(60)
class VerifierTest {

  private static final WorkloadGenerator.Params PARAMS =
      new WorkloadGenerator.Params(4, 150, 3, 4, 100, 2_000, 30_000, 60);

  /** A workload run through the reference runtime, with an optional bug. */
  private static final class Run {
    final ShadowModel model = new ShadowModel();
    final InMemoryRuntime runtime = new InMemoryRuntime();
    final List<WorkloadGenerator.Tree> trees = new WorkloadGenerator(PARAMS, 99).generate();
    private final Map<FnAddress, Long> seqs = new HashMap<>();
    private long driverUids = WorkloadGenerator.DRIVER_UID_BASE;

    Run(Consumer<Run> bug) {
      bug.accept(this);
      for (WorkloadGenerator.Tree t : trees) {
        send(t.target(), t.uid(), t.cmds());
      }
      runtime.runToCompletion();
      for (FnAddress a : model.counts().keySet()) {
        send(a, ++driverUids, List.of(Command.verify(model.count(a))));
      }
      runtime.runToCompletion();
    }

    private void send(FnAddress target, long uid, List<Command> cmds) {
      ChaosMessage m =
          new ChaosMessage(uid, ChaosMessage.DRIVER, seqs.merge(target, 1L, Long::sum), cmds);
      model.addIngress(target, m);
      runtime.ingress(target, m);
    }

    Verifier.Report verify() {
      return verify(runtime.events, runtime.egress, List.of());
    }

    Verifier.Report verify(
        Map<String, List<FunctionEvent>> events,
        List<EgressRecord> egress,
        List<EventCollector.DeadLetter> dlq) {
      return Verifier.check(
          model, events, egress, dlq, List.of(), RoundConfig.CANCEL_RACE_MARGIN_MS);
    }

    /** Some message uid sent from one function to another (not from the driver), at depth >= 1. */
    long someFunctionToFunctionMessage() {
      return model.delivered().values().stream()
          .filter(e -> e.ordered() && !e.from().equals(ChaosMessage.DRIVER) && e.incs() > 0)
          .mapToLong(ShadowModel.Expected::uid)
          .min()
          .orElseThrow();
    }
  }

  private static List<Violation.Kind> kinds(Verifier.Report report) {
    return report.violations().stream().map(Violation::kind).toList();
  }

  @Test
  void shouldFindNothingWrongWithACorrectRun() {
    Run run = new Run(r -> {});
    Verifier.Report report = run.verify();
    assertThat(report.violations()).isEmpty();
    assertThat(report.stats().get("messagesApplied"))
        .isEqualTo(report.stats().get("messagesExpected"))
        .isGreaterThan(300L);
    assertThat(report.stats().get("cancelled")).isPositive();
    assertThat(report.stats().get("egressRecords")).isPositive();
  }

  @Test
  void shouldCatchAMessageAppliedTwice() {
    Run run = new Run(r -> r.runtime.applyTwice.add(r.trees.get(3).uid()));
    assertThat(kinds(run.verify())).contains(Violation.Kind.DUPLICATE_DELIVERY);
  }

  @Test
  void shouldCatchAnOverCountFromAReplayedIncrement() {
    Run probe = new Run(r -> {});
    long uid = probe.someFunctionToFunctionMessage();
    Run run = new Run(r -> r.runtime.applyTwice.add(uid));
    assertThat(kinds(run.verify()))
        .contains(Violation.Kind.DUPLICATE_DELIVERY, Violation.Kind.OVER_COUNT);
  }

  @Test
  void shouldCatchALostMessage() {
    Run probe = new Run(r -> {});
    long uid = probe.someFunctionToFunctionMessage();
    Run run = new Run(r -> r.runtime.lose.add(uid));
    assertThat(kinds(run.verify()))
        .contains(Violation.Kind.LOST_MESSAGE, Violation.Kind.UNDER_COUNT);
  }

  @Test
  void shouldCatchLostState() {
    Run probe = new Run(r -> {});
    long uid = probe.someFunctionToFunctionMessage();
    Run run = new Run(r -> r.runtime.forgetStateBefore.add(uid));
    assertThat(kinds(run.verify()))
        .contains(Violation.Kind.STATE_INCONSISTENT, Violation.Kind.UNDER_COUNT);
  }

  @Test
  void shouldCatchMessagesOfOnePairAppliedOutOfOrder() {
    // The driver sends several messages to the same address: hold the first one back.
    Run probe = new Run(r -> {});
    FnAddress target = probe.trees.get(0).target();
    long first = probe.trees.get(0).uid();
    assertThat(probe.trees.stream().filter(t -> t.target().equals(target)).count())
        .isGreaterThan(1);
    Run run = new Run(r -> r.runtime.deliverLate.add(first));
    assertThat(kinds(run.verify())).contains(Violation.Kind.FIFO);
  }

  @Test
  void shouldCatchACancelledDelayedMessageThatWasDelivered() {
    Run run = new Run(r -> r.runtime.ignoreCancellations = true);
    Verifier.Report report = run.verify();
    assertThat(kinds(report)).contains(Violation.Kind.CANCELLED_DELIVERED);
    assertThat(
            report.violations().stream()
                .filter(v -> v.kind() == Violation.Kind.CANCELLED_DELIVERED)
                .flatMap(v -> v.examples().stream()))
        .anyMatch(e -> e.contains("in the invocation that scheduled it"))
        .anyMatch(e -> e.contains("ms before it was due"));
  }

  @Test
  void shouldToleratesADeferredCancellationThatRacedWithTheDueTime() {
    Run run = new Run(r -> r.runtime.ignoreCancellations = true);
    // Pretend every deferred cancellation ran just before its message was due.
    Map<Long, ShadowModel.Cancelled> cancelled = run.model.cancelled();
    Map<Long, Long> dueOfCancelMessage = new HashMap<>();
    Map<Long, Long> scheduledTs = new HashMap<>();
    run.runtime
        .events
        .values()
        .forEach(l -> l.forEach(e -> scheduledTs.putIfAbsent(e.uid(), e.ts())));
    cancelled.values().stream()
        .filter(ShadowModel.Cancelled::deferred)
        .forEach(
            c ->
                dueOfCancelMessage.put(
                    c.cancelledBy(), scheduledTs.get(c.scheduledBy()) + c.delayMs() - 1_000));
    Map<String, List<FunctionEvent>> events = new LinkedHashMap<>();
    run.runtime.events.forEach(
        (a, l) ->
            events.put(
                a,
                l.stream()
                    .map(
                        e ->
                            dueOfCancelMessage.containsKey(e.uid())
                                ? new FunctionEvent(
                                    e.e(),
                                    e.fn(),
                                    e.uid(),
                                    e.from(),
                                    e.seq(),
                                    e.incs(),
                                    e.count(),
                                    dueOfCancelMessage.get(e.uid()),
                                    e.expected(),
                                    e.actual())
                                : e)
                    .toList()));
    Verifier.Report report = run.verify(events, run.runtime.egress, List.of());
    assertThat(report.cancelRaces()).isPositive();
    assertThat(report.violations())
        .allSatisfy(
            v ->
                assertThat(v.examples())
                    .allMatch(e -> e.contains("in the invocation that scheduled it")));
  }

  @Test
  void shouldCatchDuplicateLostAndUnknownEgressRecords() {
    Run run = new Run(r -> {});
    List<EgressRecord> egress = new ArrayList<>(run.runtime.egress);
    EgressRecord first = egress.get(0);
    egress.add(first);
    EgressRecord removed = egress.remove(1);
    egress.add(new EgressRecord(123_456_789L, "ours/w0"));
    Verifier.Report report = run.verify(run.runtime.events, egress, List.of());
    assertThat(kinds(report))
        .containsExactlyInAnyOrder(
            Violation.Kind.DUPLICATE_EGRESS,
            Violation.Kind.LOST_EGRESS,
            Violation.Kind.UNKNOWN_EGRESS);
    assertThat(report.violations().toString()).contains(Long.toString(removed.uid()));
  }

  @Test
  void shouldReportEveryDeadLetter() {
    Run run = new Run(r -> {});
    Verifier.Report report =
        run.verify(
            run.runtime.events,
            run.runtime.egress,
            List.of(
                new EventCollector.DeadLetter(
                    "FUNCTION_CALL_FAILED", "chaos/ours/w1", "HTTP 500")));
    assertThat(kinds(report)).containsExactly(Violation.Kind.DEAD_LETTER);
    assertThat(report.violations().get(0).examples().get(0))
        .contains("FUNCTION_CALL_FAILED", "chaos/ours/w1");
  }

  @Test
  void shouldCatchAVerificationThatFoundTooMuch() {
    Run run = new Run(r -> {});
    Map<String, List<FunctionEvent>> events = new LinkedHashMap<>(run.runtime.events);
    String address = events.keySet().iterator().next();
    List<FunctionEvent> list = new ArrayList<>(events.get(address));
    list.add(FunctionEvent.verify(FnAddress.parse(address), 1, 5, 6, 0));
    events.put(address, list);
    assertThat(kinds(run.verify(events, run.runtime.egress, List.of())))
        .contains(Violation.Kind.OVER_COUNT);
  }
}
