package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.testing.TestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BenchFunctionsTest {

  private final ScheduledExecutorService timers = BenchFunctions.timers();
  private final FunctionRegistry registry = BenchFunctions.registry(() -> "out", 20, 64, timers);

  @AfterEach
  void stop() {
    timers.shutdownNow();
  }

  private TestContext context(String type, String id) {
    return TestContext.forFunction(registry.spec(TypeName.of("bench", type)).orElseThrow(), id);
  }

  private static Message payload(TestContext c, long seq, String route) {
    return MessageBuilder.forAddress(c.self())
        .withValue(BenchFunctions.BYTES_PAYLOAD, Payload.encode(seq, 42, route))
        .build();
  }

  @Test
  void shouldCountAndEmitSeqSendTimeAndCountKeyedBySelf() throws Exception {
    TestContext c = context("counter", "k3");
    c.invoke(payload(c, 1, ""));
    c.invoke(payload(c, 2, ""));

    assertThat(c.storage().get(BenchFunctions.COUNT)).contains(2L);
    assertThat(c.egressMessages()).hasSize(2);
    var record = c.egressMessages().get(1).asKafkaProducerRecord();
    assertThat(record.getTopic()).isEqualTo("out");
    assertThat(record.getKey()).isEqualTo("k3");
    assertThat(record.getValueBytes().toString(StandardCharsets.UTF_8)).isEqualTo("2,42,2");
  }

  @Test
  void shouldPassTheMessageToTheNextHopOfItsRoute() throws Exception {
    TestContext c = context("chain", "k3");
    c.invoke(payload(c, 7, "chain@x1;chain@x2"));

    assertThat(c.egressMessages()).isEmpty();
    Message next = c.sentMessages().get(0);
    assertThat(next.targetAddress().id()).isEqualTo("x1");
    assertThat(new String(next.rawValue(), StandardCharsets.UTF_8)).isEqualTo("7,42,chain@x2");
  }

  @Test
  void shouldFanOutToCountersNamedAfterItself() throws Exception {
    TestContext c = context("fanout", "k3");
    c.invoke(payload(c, 1, "*3"));

    assertThat(c.sentMessages())
        .extracting(m -> m.targetAddress().id())
        .containsExactly("k3.0", "k3.1", "k3.2");
    assertThat(c.sentMessages())
        .allMatch(m -> m.targetAddress().type().equals(TypeName.of("bench", "counter")));
  }

  @Test
  void shouldKeepAndRewriteTheLargeStateBlob() throws Exception {
    TestContext c = context("big", "k1");
    c.invoke(payload(c, 1, ""));
    c.invoke(payload(c, 2, ""));

    assertThat(c.storage().get(BenchFunctions.BLOB))
        .hasValueSatisfying(
            b -> {
              assertThat(b).hasSize(64);
              assertThat(b[0]).isEqualTo((byte) 2);
            });
  }

  @Test
  void shouldCompleteASlowInvocationOnlyAfterItsDelay() throws Exception {
    TestContext c = context("slow", "k1");
    long start = System.nanoTime();
    c.invoke(payload(c, 1, ""));

    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(19);
    assertThat(c.egressMessages()).hasSize(1);
  }
}
