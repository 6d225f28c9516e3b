package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

class SameThreadDeliveryTest {

  private final RuntimeServices services = TestServices.forApp("same-thread-test").build();
  private final DispatchProcessor task0 = new DispatchProcessor(services);
  private final DispatchProcessor task1 = new DispatchProcessor(services);

  @Test
  void shouldUseTheLoopbackTopicUntilTheTargetHasReadTheLastRecordSentToIt() {
    SameThreadDelivery delivery = new SameThreadDelivery(true);
    delivery.register(0, task0);
    delivery.register(1, task1);
    assertThat(delivery.caughtUp(1)).as("no barrier read yet").isFalse();

    Headers first = delivery.loopbackHeaders(1);
    Headers second = delivery.loopbackHeaders(1);
    assertThat(first).isNotNull();
    delivery.onLoopbackRead(1, first);
    assertThat(delivery.caughtUp(1)).as("a second record is still travelling").isFalse();
    delivery.onLoopbackRead(1, second);
    assertThat(delivery.caughtUp(1)).isTrue();

    // A message that takes the loopback topic again (e.g. HTTP API traffic) closes the lane.
    Headers third = delivery.loopbackHeaders(1);
    assertThat(delivery.caughtUp(1)).isFalse();
    delivery.onLoopbackRead(1, third);
    assertThat(delivery.caughtUp(1)).isTrue();
  }

  @Test
  void shouldStartOverWhenATaskStartsOnTheThread() {
    SameThreadDelivery delivery = new SameThreadDelivery(true);
    delivery.register(1, task1);
    Headers before = delivery.loopbackHeaders(1);
    // A sender's task moves onto this thread: what it sent before may still be in the topic.
    delivery.register(0, task0);
    delivery.onLoopbackRead(1, before);
    assertThat(delivery.caughtUp(1)).as("a record of the previous generation").isFalse();
    delivery.onLoopbackRead(1, delivery.loopbackHeaders(1));
    assertThat(delivery.caughtUp(1)).isTrue();
  }

  @Test
  void shouldCloseACaughtUpLaneWhenATaskStartsOnTheThread() {
    SameThreadDelivery delivery = new SameThreadDelivery(true);
    delivery.register(1, task1);
    delivery.onLoopbackRead(1, delivery.loopbackHeaders(1));
    assertThat(delivery.caughtUp(1)).isTrue();
    delivery.register(0, task0); // e.g. a sender whose earlier messages may still be travelling
    assertThat(delivery.caughtUp(1)).isFalse();
  }

  @Test
  void shouldNotDeliverToATaskOfAnotherThreadOrAClosedOne() throws Exception {
    SameThreadDelivery delivery = new SameThreadDelivery(true);
    delivery.register(1, task1);
    Headers onThisThread = delivery.loopbackHeaders(1);
    // Another stream thread reads the record: its token is not this thread's.
    CompletableFuture<Boolean> elsewhere =
        CompletableFuture.supplyAsync(
            () -> {
              delivery.onLoopbackRead(1, onThisThread);
              return delivery.caughtUp(1);
            });
    assertThat(elsewhere.get()).isFalse();
    assertThat(delivery.loopbackHeaders(0)).as("partition 0 has no task here").isNull();

    delivery.onLoopbackRead(1, onThisThread);
    assertThat(delivery.caughtUp(1)).isTrue();
    delivery.unregister(1, task1);
    assertThat(delivery.caughtUp(1)).isFalse();
    assertThat(delivery.target(1)).isNull();
  }

  @Test
  void shouldNeverDeliverDirectlyWhenSwitchedOff() {
    SameThreadDelivery delivery = new SameThreadDelivery(false);
    delivery.register(1, task1);
    assertThat(delivery.loopbackHeaders(1)).isNull();
    assertThat(delivery.caughtUp(1)).isFalse();
    assertThat(delivery.target(1)).isNull();
  }
}
