package io.kstatefun.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultPlanTest {

  @Test
  void shouldChooseTheSameFaultsFromTheSameSeed() {
    FaultPlan a = FaultPlan.choose(7, EnumSet.allOf(FaultPlan.Kind.class), 6, 3_000, 60_000, 2, 3);
    FaultPlan b = FaultPlan.choose(7, EnumSet.allOf(FaultPlan.Kind.class), 6, 3_000, 60_000, 2, 3);
    assertThat(a).isEqualTo(b);
    assertThat(a.faults())
        .hasSize(6)
        .isSortedAccordingTo(java.util.Comparator.comparingLong(FaultPlan.Fault::atMs));
    assertThat(a.faults()).allMatch(f -> f.atMs() >= 3_000 && f.atMs() <= 60_000);
    assertThat(FaultPlan.choose(8, EnumSet.allOf(FaultPlan.Kind.class), 6, 3_000, 60_000, 2, 3))
        .isNotEqualTo(a);
  }

  @Test
  void shouldUseOnlyEnabledKindsAndNoBrokerKillOnASingleBroker() {
    for (long seed = 0; seed < 50; seed++) {
      assertThat(
              FaultPlan.choose(
                      seed,
                      EnumSet.of(FaultPlan.Kind.RUNTIME_KILL, FaultPlan.Kind.BROKER_KILL),
                      4,
                      0,
                      10_000,
                      2,
                      1)
                  .faults())
          .allMatch(
              f -> f.kind() == FaultPlan.Kind.RUNTIME_KILL && f.target() >= 0 && f.target() < 2);
    }
    assertThat(
            FaultPlan.choose(1, EnumSet.of(FaultPlan.Kind.BROKER_KILL), 3, 0, 10_000, 2, 1)
                .faults())
        .isEmpty();
  }

  @Test
  void shouldCoverEveryKindOverManySeeds() {
    EnumSet<FaultPlan.Kind> seen = EnumSet.noneOf(FaultPlan.Kind.class);
    for (long seed = 0; seed < 100; seed++) {
      FaultPlan.choose(seed, EnumSet.allOf(FaultPlan.Kind.class), 4, 0, 10_000, 2, 3)
          .faults()
          .forEach(f -> seen.add(f.kind()));
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(FaultPlan.Kind.class));
  }
}
