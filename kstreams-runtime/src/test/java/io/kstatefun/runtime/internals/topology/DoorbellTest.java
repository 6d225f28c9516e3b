package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DoorbellTest {

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition met in time").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private static List<Integer> partitions(MockProducer<byte[], byte[]> producer) {
    return producer.history().stream().map(ProducerRecord::partition).toList();
  }

  /**
   * The callers are event loops and the stream thread; the old doorbell blocked them max.block.ms
   * (5 s).
   */
  @Test
  void shouldNotBlockTheCallerWhenTheBrokerIsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Doorbell doorbell =
        new Doorbell(
            "bell",
            Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port));
    try {
      long start = System.nanoTime();
      for (int p = 0; p < 4; p++) {
        doorbell.ring(p);
        doorbell.ring(p);
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).as("ms eight rings took").isLessThan(500);
    } finally {
      doorbell.close();
    }
  }

  @Test
  void shouldCoalesceRingsOfAPartitionWhileOneIsPending() throws Exception {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    Doorbell doorbell = new Doorbell("bell", producer);
    try {
      doorbell.ring(3);
      await(() -> producer.history().size() == 1);
      for (int i = 0; i < 10; i++) {
        doorbell.ring(3);
      }
      Thread.sleep(50);
      assertThat(partitions(producer)).as("one record pending per partition").containsExactly(3);

      producer.completeNext();
      await(() -> producer.history().size() == 2);
      assertThat(partitions(producer)).as("the rings made meanwhile, as one").containsExactly(3, 3);
      producer.completeNext();
      Thread.sleep(50);
      assertThat(producer.history()).hasSize(2);
    } finally {
      doorbell.close();
    }
  }

  @Test
  void shouldRingOtherPartitionsWhileOneIsPendingAndRingAgainAfterAFailure() throws Exception {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    Doorbell doorbell = new Doorbell("bell", producer);
    try {
      doorbell.ring(0);
      doorbell.ring(1);
      await(() -> producer.history().size() == 2);
      assertThat(partitions(producer)).containsExactlyInAnyOrder(0, 1);

      producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker away"));
      producer.completeNext();
      Thread.sleep(50);
      doorbell.ring(0);
      doorbell.ring(1);
      await(() -> producer.history().size() == 4);
    } finally {
      doorbell.close();
    }
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void shouldIgnoreRingsAfterClose() throws Exception {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    Doorbell doorbell = new Doorbell("bell", producer);
    doorbell.close();
    doorbell.ring(0);
    Thread.sleep(Duration.ofMillis(50).toMillis());
    assertThat(producer.history()).isEmpty();
  }
}
