package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task that restarts (after a rebalance, a kill -9, a replaced stream thread) may find delayed
 * messages that are already due in its timer store. Kafka Streams initializes a processor before
 * its sink nodes, so the processor must not forward anything from {@code init()}: doing so threw a
 * NullPointerException in the loopback sink, the stream thread died, its replacement restored the
 * same task and died the same way, forever (found by the chaos tests after a broker kill).
 */
@Timeout(30)
class DispatchProcessorRestartTest {

  private static final int PARTITIONS = 8;
  private static final FunctionType TYPE = new FunctionType("example", "fn");

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stopAlarms() {
    alarms.shutdownNow();
  }

  @Test
  void shouldFireTimersThatAreDueAtStartOnlyOnceTheTaskRuns(@TempDir Path dir) throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    MockProcessorContext<byte[], Object> context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 0), dir.resolve("state").toFile());
    KeyValueStore<Bytes, byte[]> mailbox = store(context, TopologyFactory.MAILBOX_STORE);
    KeyValueStore<Bytes, byte[]> state = store(context, TopologyFactory.STATE_STORE);
    KeyValueStore<Bytes, byte[]> timers = store(context, TopologyFactory.TIMER_STORE);

    // A delayed message from an address of partition 0 to one of another partition, already due.
    Address sender = addressIn(0);
    Address target = addressNotIn(0);
    Envelope delayed =
        Envelope.newBuilder()
            .setTarget(target.toProto())
            .setCaller(sender.toProto())
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename("example/x")
                    .setHasValue(true)
                    .setValue(ByteString.copyFromUtf8("hi")))
            .build();
    KafkaDispatchStores stores = new KafkaDispatchStores(mailbox, state, timers);
    stores.putTimer(
        PendingTimer.newBuilder()
            .setEnvelope(delayed)
            .setDueMs(now.get() - 5_000)
            .setSeq(stores.nextTimerSeq())
            .build());

    DispatchProcessor processor = new DispatchProcessor(services(now));
    processor.init(context);

    assertThat(context.forwarded()).as("nothing may be forwarded from init()").isEmpty();

    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.get());

    assertThat(context.forwarded(TopologyFactory.LOOPBACK_SINK)).hasSize(1);
    assertThat(
            Envelope.parseFrom(
                (byte[]) context.forwarded(TopologyFactory.LOOPBACK_SINK).get(0).record().value()))
        .isEqualTo(delayed);
    assertThat(new KafkaDispatchStores(mailbox, state, timers).earliestTimerDue())
        .as("no timer left")
        .isEqualTo(Long.MAX_VALUE);
    processor.close();
  }

  /** A function client that never answers. */
  private RuntimeServices services(AtomicLong now) {
    return TestServices.forApp("restart-test")
        .alarms(alarms)
        .partitions(PARTITIONS)
        .clock(now::get)
        .build();
  }

  private static KeyValueStore<Bytes, byte[]> store(
      MockProcessorContext<byte[], Object> context, String name) {
    return TestServices.addStore(context, Stores.inMemoryKeyValueStore(name));
  }

  private static Address addressIn(int partition) {
    for (int i = 0; ; i++) {
      if (AddressPartitioner.partition("a" + i, PARTITIONS) == partition) {
        return new Address(TYPE, "a" + i);
      }
    }
  }

  private static Address addressNotIn(int partition) {
    for (int i = 0; ; i++) {
      if (AddressPartitioner.partition("b" + i, PARTITIONS) != partition) {
        return new Address(TYPE, "b" + i);
      }
    }
  }
}
