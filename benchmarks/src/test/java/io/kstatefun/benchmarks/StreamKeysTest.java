package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.routing.AddressPartitioner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StreamKeysTest {

  @Test
  void shouldPlaceEveryChainHopOnTheNextPartition() {
    for (int i = 0; i < 100; i++) {
      int p0 = AddressPartitioner.partition(StreamKeys.root(i), 8);
      for (int hop = 1; hop <= 2; hop++) {
        assertThat(AddressPartitioner.partition(StreamKeys.chainHop(i, hop, 8), 8))
            .isEqualTo((p0 + hop) % 8);
      }
    }
  }

  @Test
  void shouldMapEgressKeysToStreams() {
    assertThat(StreamKeys.stream("k12", 1)).isEqualTo(12);
    assertThat(StreamKeys.stream(StreamKeys.chainHop(12, 2, 8), 1)).isEqualTo(12);
    assertThat(StreamKeys.stream("k12.3", 10)).isEqualTo(123);
    assertThat(StreamKeys.stream("k12.10", 10)).isEqualTo(-1);
    assertThat(StreamKeys.stream("k12", 10)).isEqualTo(-1);
    assertThat(StreamKeys.stream("user-1", 1)).isEqualTo(-1);
    assertThat(StreamKeys.stream("k", 1)).isEqualTo(-1);
  }
}
