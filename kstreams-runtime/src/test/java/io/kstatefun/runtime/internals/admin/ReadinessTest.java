package io.kstatefun.runtime.internals.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class ReadinessTest {

  @Test
  void shouldStayReadyWhileRebalancingOrRestoringAfterTheFirstRun() {
    // A survivor that takes over a killed peer's partitions is REBALANCING while it restores them;
    // its other tasks keep running, so it can serve.
    assertThat(Readiness.decide(State.REBALANCING, true).ready()).isTrue();
    assertThat(Readiness.decide(State.RUNNING, true).ready()).isTrue();
  }

  @Test
  void shouldNotBeReadyWhileStartingBeforeTheFirstRun() {
    Readiness.Decision starting = Readiness.decide(State.REBALANCING, false);
    assertThat(starting.ready()).isFalse();
    assertThat(starting.reason()).contains("starting");
    assertThat(Readiness.decide(State.CREATED, false).ready()).isFalse();
  }

  @Test
  void shouldNotBeReadyOnceStoppingOrFailed() {
    for (State s :
        new State[] {State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR}) {
      Readiness.Decision d = Readiness.decide(s, true);
      assertThat(d.ready()).as(s.name()).isFalse();
      assertThat(d.reason()).as(s.name()).contains(s.name());
    }
  }
}
