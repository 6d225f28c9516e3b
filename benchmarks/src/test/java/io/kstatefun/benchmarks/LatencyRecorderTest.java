package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LatencyRecorderTest {

  @Test
  void shouldComputeNearestRankPercentilesOfAWindowOfSendTimes() {
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 1; i <= 100_000; i++) {
      r.record(i, i + i * 1_000L); // latency i microseconds
    }
    r.record(200_000, 200_000 + 5_000_000_000L); // outside the window

    LatencyRecorder.Window w = r.window(1, 100_001);

    assertThat(w.count()).isEqualTo(100_000);
    assertThat(w.percentileMs(0.5)).isEqualTo(50.0);
    assertThat(w.percentileMs(0.99)).isEqualTo(99.0);
    assertThat(w.maxMs()).isEqualTo(100.0);
    assertThat(w.lastArrivalNanos()).isEqualTo(100_000 + 100_000 * 1_000L);
  }

  @Test
  void shouldReportNothingForAnEmptyWindow() {
    LatencyRecorder.Window w = new LatencyRecorder().window(0, 10);

    assertThat(w.count()).isZero();
    assertThat(w.percentileMs(0.99)).isNaN();
  }
}
