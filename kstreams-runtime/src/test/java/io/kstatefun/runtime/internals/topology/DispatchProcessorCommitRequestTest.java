package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state read with {@code consistency=committed} asks the owning task for a commit ({@link
 * RuntimeServices#requestCommit}); the task requests it on its next pass even though it has no
 * output pending, so that the read waits for the commit pacer rather than {@code
 * commit.interval.ms}.
 */
@Timeout(30)
class DispatchProcessorCommitRequestTest {

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stopAlarms() {
    alarms.shutdownNow();
  }

  @Test
  void shouldRequestACommitOnItsNextPassWhenAStateReadAsksForOne(@TempDir Path dir) {
    AtomicLong now = new AtomicLong(1_000_000);
    MockProcessorContext<byte[], Object> context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 3), dir.resolve("state").toFile());
    for (String store :
        new String[] {
          TopologyFactory.MAILBOX_STORE, TopologyFactory.STATE_STORE, TopologyFactory.TIMER_STORE
        }) {
      TestServices.addStore(context, Stores.inMemoryKeyValueStore(store));
    }
    RuntimeServices services =
        TestServices.forApp("commit-request-test")
            .alarms(alarms)
            .partitions(8)
            .clock(now::get)
            .build();
    DispatchProcessor processor = new DispatchProcessor(services);
    processor.init(context);

    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.get());
    assertThat(context.committed()).as("an idle task requests no commit").isFalse();

    services.requestCommit(5); // another task's partition
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.addAndGet(100));
    assertThat(context.committed()).as("a request for another partition").isFalse();

    services.requestCommit(3);
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.addAndGet(100));
    assertThat(context.committed()).as("the task requested the commit a read asked for").isTrue();

    context.resetCommit();
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.addAndGet(100));
    assertThat(context.committed()).as("once per request").isFalse();
    processor.close();
  }
}
