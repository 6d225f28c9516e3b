package io.kstatefun.localkafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;

/**
 * Raises the broker-side Kafka loggers to WARN, so that an embedded broker does not flood the
 * output of the application or test that runs it.
 *
 * <p>{@link #quiet()} touches the loggers of broker code, not {@code org.apache.kafka.clients} nor
 * {@code org.apache.kafka.streams}; but it includes three shared loggers that would otherwise print
 * the broker's configuration many times ({@code AbstractConfig}, {@code AppInfoParser}, {@code
 * org.apache.kafka.common.metrics}), which also hides the clients' configuration dumps. {@link
 * #quietAll()} (for a JVM that only runs a broker) quiets {@code kafka} and {@code
 * org.apache.kafka} as a whole. Only loggers that the active log4j2 configuration leaves to the
 * root logger are changed: a level configured explicitly for one of them, or for a parent other
 * than the root, wins. Without log4j2-core as the slf4j binding this is a no-op.
 */
final class BrokerLogging {

  /** Logger names (prefixes) used only by broker and controller code. */
  static final List<String> BROKER_LOGGERS =
      List.of(
          "kafka",
          "state.change.logger",
          "org.apache.kafka.controller",
          "org.apache.kafka.coordinator",
          "org.apache.kafka.image",
          "org.apache.kafka.metadata",
          "org.apache.kafka.network",
          "org.apache.kafka.queue",
          "org.apache.kafka.raft",
          "org.apache.kafka.security",
          "org.apache.kafka.server",
          "org.apache.kafka.snapshot",
          "org.apache.kafka.storage",
          "org.apache.kafka.common.config.AbstractConfig",
          "org.apache.kafka.common.utils.AppInfoParser",
          "org.apache.kafka.common.metrics");

  /** Everything Kafka, for a JVM that only runs a broker. */
  static final List<String> ALL_KAFKA_LOGGERS =
      List.of("kafka", "state.change.logger", "org.apache.kafka");

  private static boolean appliedBroker;
  private static boolean appliedAll;

  private BrokerLogging() {}

  /** Quiets the broker loggers (once per JVM). */
  static synchronized void quiet() {
    if (!appliedBroker) {
      appliedBroker = true;
      apply(BROKER_LOGGERS);
    }
  }

  /** Quiets all Kafka loggers (once per JVM). */
  static synchronized void quietAll() {
    if (!appliedAll) {
      appliedAll = true;
      apply(ALL_KAFKA_LOGGERS);
    }
  }

  private static void apply(List<String> names) {
    try {
      setLevels(names);
    } catch (LinkageError | RuntimeException e) {
      // Another logging backend (or none): leave its configuration alone.
    }
  }

  private static void setLevels(List<String> names) {
    if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
      return;
    }
    Configuration config = context.getConfiguration();
    Map<String, Level> levels = new HashMap<>();
    for (String name : names) {
      LoggerConfig effective = config.getLoggerConfig(name);
      boolean inheritsFromRoot = effective.getName().isEmpty();
      if (inheritsFromRoot && effective.getLevel().isLessSpecificThan(Level.WARN)) {
        levels.put(name, Level.WARN);
      }
    }
    if (!levels.isEmpty()) {
      Configurator.setLevel(levels);
    }
  }
}
