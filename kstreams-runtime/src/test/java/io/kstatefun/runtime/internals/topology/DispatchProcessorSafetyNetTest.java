package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams marks a task as needing a commit after every punctuation, so the wall-clock safety
 * net ({@code kstatefun.timer.check.interval.ms}) must only be armed while the task has work
 * pending; an idle task keeps only the rare idle check ({@code kstatefun.idle.check.interval.ms}),
 * or one soon after its next timer is due.
 */
@Timeout(30)
class DispatchProcessorSafetyNetTest {

  private static final int PARTITIONS = 8;
  private static final FunctionType TYPE = new FunctionType("example", "fn");
  private static final String APP = "safety-net-test";
  private static final long BUSY = 100; // the default kstatefun.timer.check.interval.ms
  private static final long IDLE = 10_000; // the default kstatefun.idle.check.interval.ms

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<CompletableFuture<FunctionClient.Reply>> calls = new ArrayList<>();
  private MockProcessorContext<byte[], Object> context;
  private DispatchProcessor processor;

  @TempDir Path dir;

  @BeforeEach
  void start() {
    context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 0), dir.resolve("state").toFile());
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.MAILBOX_STORE));
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.STATE_STORE));
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.TIMER_STORE));
    processor =
        new DispatchProcessor(
            TestServices.forApp(APP)
                .client(
                    TestServices.answering(
                        request -> {
                          CompletableFuture<FunctionClient.Reply> call = new CompletableFuture<>();
                          calls.add(call);
                          return call;
                        }))
                .alarms(alarms)
                .partitions(PARTITIONS)
                .clock(now::get)
                .build());
    processor.init(context);
  }

  @AfterEach
  void stop() {
    processor.close();
    alarms.shutdownNow();
  }

  @Test
  void anIdleTaskArmsNoFrequentCheck() {
    assertThat(armed()).as("one check armed").hasSize(1);
    assertThat(armed().get(0).getInterval())
        .as("an idle task's check waits for the idle interval, not the busy one")
        .isGreaterThan(Duration.ofMillis(BUSY));
    assertThat(armed().get(0).getInterval()).isLessThanOrEqualTo(Duration.ofMillis(IDLE));
  }

  @Test
  void theBusyCheckRunsOnlyWhileACallIsInFlight() {
    deliver();
    assertThat(calls).as("the function was called").hasSize(1);
    assertThat(armed()).hasSize(1);
    assertThat(armed().get(0).getInterval())
        .as("a call in flight keeps the busy check")
        .isEqualTo(Duration.ofMillis(BUSY));

    calls.get(0).complete(new FunctionClient.Reply(FromFunction.getDefaultInstance(), 1));
    now.addAndGet(BUSY);
    armed().get(0).getPunctuator().punctuate(now.get()); // applies the answer
    context.resetCommit();
    assertThat(armed()).hasSize(1);
    assertThat(armed().get(0).getInterval())
        .as("nothing pending any more: back to the idle check")
        .isGreaterThan(Duration.ofMillis(BUSY));
  }

  @Test
  void aDueCheckIsNotPostponedByTheRecordsThatKeepArrivingUnderLoad() {
    deliver();
    CapturedPunctuator busy = armed().get(0);
    assertThat(busy.getInterval()).isEqualTo(Duration.ofMillis(BUSY));
    now.addAndGet(BUSY + 50); // due; Kafka Streams runs it after the records it is processing
    deliver();
    assertThat(busy.cancelled()).as("the due check was moved on").isFalse();
    assertThat(armed()).containsExactly(busy);
  }

  @Test
  void anIdleCheckFallsOnAMultipleOfItsIntervalSoThatTheThreadsTasksShareOneCommit() {
    CapturedPunctuator check = armed().get(0);
    long firesAt = now.get() + check.getInterval().toMillis();
    assertThat(firesAt % IDLE).isZero();
  }

  private List<CapturedPunctuator> armed() {
    return context.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
  }

  /** A message for an address of this task arrives on the loopback topic; its call is made. */
  private void deliver() {
    Address target = addressIn(0);
    Envelope message =
        Envelope.newBuilder()
            .setTarget(target.toProto())
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename("example/x")
                    .setHasValue(true)
                    .setValue(ByteString.copyFromUtf8("hi")))
            .build();
    context.setRecordMetadata(APP + "-loopback", 0, 0);
    processor.process(
        new Record<>(
            target.id().getBytes(StandardCharsets.UTF_8), message.toByteArray(), now.get()));
  }

  private static Address addressIn(int partition) {
    for (int i = 0; ; i++) {
      if (AddressPartitioner.partition("a" + i, PARTITIONS) == partition) {
        return new Address(TYPE, "a" + i);
      }
    }
  }
}
