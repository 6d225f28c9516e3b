package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ExactlyOnceVerifierTest {

  @Test
  void shouldAcceptEverySequenceOnceInOrder() {
    ExactlyOnceVerifier v = new ExactlyOnceVerifier(2, 1);
    v.accept("k0", 1, 1);
    v.accept("k1", 1, 1);
    v.accept("k0", 2, 2);

    ExactlyOnceVerifier.Result r = v.result(new int[] {2, 1});

    assertThat(r.exactlyOnce()).isTrue();
    assertThat(r.expected()).isEqualTo(3);
    assertThat(r.received()).isEqualTo(3);
  }

  @Test
  void shouldReportDuplicatesGapsMissingTailsAndCounterMismatches() {
    ExactlyOnceVerifier v = new ExactlyOnceVerifier(3, 1);
    v.accept("k0", 1, 1);
    v.accept("k0", 1, 1); // duplicate
    v.accept("k1", 2, 2); // gap: 1 missing
    v.accept("k2", 1, 2); // counter counted twice

    ExactlyOnceVerifier.Result r = v.result(new int[] {2, 2, 1}); // k0 misses 2

    assertThat(r.duplicates()).isEqualTo(1);
    assertThat(r.missing()).isEqualTo(2);
    assertThat(r.stateMismatches()).isEqualTo(1);
    assertThat(r.exactlyOnce()).isFalse();
    assertThat(r.examples()).hasSize(3);
  }

  @Test
  void shouldCountFanOutLeavesAsTheirOwnStreams() {
    ExactlyOnceVerifier v = new ExactlyOnceVerifier(2, 3);
    for (int leaf = 0; leaf < 3; leaf++) {
      v.accept("k1." + leaf, 1, 1);
    }

    ExactlyOnceVerifier.Result r = v.result(new int[] {0, 1});

    assertThat(r.exactlyOnce()).isTrue();
    assertThat(r.expected()).isEqualTo(3);
  }

  @Test
  void shouldRejectKeysThatAreNotTheWorkloads() {
    ExactlyOnceVerifier v = new ExactlyOnceVerifier(1, 1);
    v.accept("x", 1, 1);
    v.accept("k7", 1, 1);

    ExactlyOnceVerifier.Result r = v.result(new int[] {0});

    assertThat(r.foreign()).isEqualTo(2);
    assertThat(r.exactlyOnce()).isFalse();
  }
}
