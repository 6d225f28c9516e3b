package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CrashLoopGuardTest {

  private static final long WINDOW = 60_000;

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final CrashLoopGuard guard = new CrashLoopGuard(3, WINDOW, now::get);
  private final Capture log = new Capture();

  /** The ERROR and WARN lines of the guard. */
  private static final class Capture extends AbstractAppender {
    final List<String> lines = new CopyOnWriteArrayList<>();

    Capture() {
      super("crash-loop-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      if (event.getLoggerName().equals(CrashLoopGuard.class.getName())
          && event.getLevel().isMoreSpecificThan(Level.WARN)) {
        lines.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
      }
    }
  }

  @BeforeEach
  void captureLog() {
    log.start();
    LoggerContext logging = (LoggerContext) LogManager.getContext(false);
    logging.getConfiguration().getRootLogger().addAppender(log, Level.ALL, null);
    logging.updateLoggers();
  }

  @AfterEach
  void stopCapture() {
    LoggerContext logging = (LoggerContext) LogManager.getContext(false);
    logging.getConfiguration().getRootLogger().removeAppender(log.getName());
    logging.updateLoggers();
  }

  /** How Kafka Streams reports a failure in a processor's init(): the task id sits deeper. */
  private static RuntimeException failureOf(String task) {
    TaskId id = TaskId.parse(task);
    return new StreamsException(
        "failed to initialize processor dispatch",
        new StreamsException(
            "task " + id + " failed to start", new IllegalStateException("corrupt counter"), id));
  }

  @Test
  void shouldReportATaskThatKeepsFailingWithinTheWindowOnceAndClearItAfterAQuietWindow() {
    guard.onFailure(failureOf("0_3"));
    now.addAndGet(10_000);
    guard.onFailure(failureOf("0_3"));
    guard.onFailure(failureOf("0_1")); // another task's failures do not count for 0_3
    assertThat(guard.crashLooping()).isFalse();

    now.addAndGet(10_000);
    guard.onFailure(failureOf("0_3"));
    assertThat(guard.crashLooping()).isTrue();
    assertThat(guard.crashLoopingTasks()).containsOnlyKeys("0_3");
    assertThat(guard.crashLoopingTasks().get("0_3"))
        .contains("failed 3 times within 60 s")
        .contains("IllegalStateException: corrupt counter");

    guard.onFailure(failureOf("0_3"));
    assertThat(
            log.lines.stream()
                .filter(l -> l.startsWith("ERROR") && l.contains("is in a crash loop")))
        .as("one ERROR per crash loop")
        .hasSize(1)
        .allSatisfy(
            l ->
                assertThat(l)
                    .contains("Task 0_3")
                    .contains("corrupt counter")
                    .contains("/health/live"));
    assertThat(log.lines.get(log.lines.size() - 1))
        .startsWith("WARN")
        .contains("Task 0_3 failed again");
    assertThat(guard.failuresTotal()).isEqualTo(5);
    assertThat(guard.crashLoopsTotal()).isEqualTo(1);

    now.addAndGet(WINDOW - 1);
    assertThat(guard.crashLooping()).as("the last failure is within the window").isTrue();
    now.addAndGet(1);
    assertThat(guard.crashLooping()).as("a whole window without a failure").isFalse();
  }

  @Test
  void shouldNotCountFailuresSpreadWiderThanTheWindow() {
    for (int i = 0; i < 10; i++) {
      guard.onFailure(failureOf("0_0"));
      now.addAndGet(WINDOW / 2);
    }
    assertThat(guard.crashLooping()).isFalse();
    assertThat(guard.crashLoopsTotal()).isZero();
  }

  @Test
  void shouldCountFailuresThatNameNoTaskTogether() {
    for (int i = 0; i < 3; i++) {
      guard.onFailure(new IllegalStateException("broker trouble"));
    }
    assertThat(guard.crashLoopingTasks()).containsOnlyKeys(CrashLoopGuard.NO_TASK);
  }
}
