package io.kstatefun.runtime.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the log events of this JVM at WARN and above (what reaches the root logger under the
 * test logging configuration), so that a test can assert what an operator would see.
 *
 * <p>Threading: events arrive from any thread; {@link #events} returns a copy.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

  /** One log event: level, logger, thread, message and the class names of its cause chain. */
  public record Event(
      Level level, String logger, String thread, String message, List<String> causes) {
    /** True if the message or any cause's class name contains {@code text}. */
    public boolean mentions(String text) {
      return message.contains(text) || causes.stream().anyMatch(c -> c.contains(text));
    }

    @Override
    public String toString() {
      return level
          + " ["
          + thread
          + "] "
          + logger
          + " - "
          + message
          + (causes.isEmpty() ? "" : " " + causes);
    }
  }

  private final List<Event> events = new ArrayList<>();

  private LogCapture() {
    super("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY);
  }

  /** Starts capturing WARN and above from every logger. */
  public static LogCapture capture() {
    LogCapture capture = new LogCapture();
    capture.start0();
    return capture;
  }

  private void start0() {
    start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    context.getConfiguration().getRootLogger().addAppender(this, Level.WARN, null);
    context.updateLoggers();
  }

  @Override
  public void append(LogEvent event) {
    List<String> causes = new ArrayList<>();
    for (Throwable t = event.getThrown();
        t != null && causes.size() < 20;
        t = t.getCause() == t ? null : t.getCause()) {
      causes.add(t.getClass().getName() + ": " + t.getMessage());
    }
    Event e =
        new Event(
            event.getLevel(),
            event.getLoggerName(),
            event.getThreadName(),
            event.getMessage().getFormattedMessage(),
            causes);
    synchronized (events) {
      events.add(e);
    }
  }

  public List<Event> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    context.getConfiguration().getRootLogger().removeAppender(getName());
    context.updateLoggers();
    stop();
  }
}
