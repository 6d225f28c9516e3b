package io.kstatefun.runtime.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EgressTopicsTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final Set<String> cluster = new HashSet<>(Set.of("out"));
  private final List<String> asked = new ArrayList<>();
  private boolean unreachable;

  private final EgressTopics topics =
      new EgressTopics(
          requested -> {
            asked.addAll(requested);
            if (unreachable) {
              throw new TimeoutException("no answer");
            }
            Set<String> found = new HashSet<>(requested);
            found.retainAll(cluster);
            return found;
          },
          now::get,
          () -> {});

  @Test
  void anExistingTopicIsAskedForOnce() {
    assertThat(topics.test("out")).isTrue();
    assertThat(topics.test("out")).isTrue();
    assertThat(asked).containsExactly("out");
  }

  @Test
  void aMissingTopicIsAskedForAgainAfterTheRecheckInterval() {
    assertThat(topics.test("later")).isFalse();
    assertThat(topics.test("later")).isFalse();
    assertThat(asked).containsExactly("later");

    cluster.add("later");
    now.addAndGet(EgressTopics.MISSING_RECHECK.toMillis());
    assertThat(topics.test("later")).isTrue();
    assertThat(asked).containsExactly("later", "later");
  }

  @Test
  void whenTheClusterCannotBeAskedTheProducerDecides() {
    unreachable = true;
    assertThat(topics.test("whatever")).isTrue();
    unreachable = false;
    assertThat(topics.test("whatever")).isFalse();
  }
}
