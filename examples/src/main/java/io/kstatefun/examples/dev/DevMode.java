package io.kstatefun.examples.dev;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * {@code bin/kstatefun dev}: the demo. Starts a local Kafka broker, the kstatefun runtime and the
 * example functions in this process, sends sample events and prints what comes out of the egress
 * topics, with a progress line every few seconds. Ctrl-C (or {@code --duration}) stops everything
 * cleanly and prints a summary. See {@link DevCommand} for the options.
 *
 * <p>Logging goes to a file in a temporary directory (printed on start); only errors reach the
 * console. A log4j2 configuration given with {@code -Dlog4j2.configurationFile} other than the
 * launcher's default is respected.
 */
public final class DevMode {

  /** The log4j2 configuration the demo uses (a resource of this jar). */
  static final String LOG_CONFIG = "kstatefun-dev-log4j2.xml";

  /** The launcher's general configuration, replaced by {@link #LOG_CONFIG} for the demo. */
  static final String LAUNCHER_LOG_CONFIG = "kstatefun-log4j2.xml";

  /** System property naming the demo's log file (read by {@link #LOG_CONFIG}). */
  static final String LOG_FILE_PROPERTY = "kstatefun.dev.log";

  private DevMode() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new DevCommand()).setExpandAtFiles(false).execute(args));
  }

  /**
   * Runs the demo until Ctrl-C or {@code --duration}, with logging to a file and a shutdown hook;
   * what {@code bin/kstatefun dev} does.
   *
   * @return the process exit code: 0, or 1 if the demo failed
   */
  static int runUntilStopped(DevOptions options) {
    // Before anything touches a logger: this class has no static logger on purpose.
    long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
    long referenceNanos =
        System.nanoTime()
            - TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis() - jvmStartMillis);
    Path workDir;
    Path logFile;
    try {
      workDir = Files.createTempDirectory("kstatefun-dev-");
      logFile = configureLogging(workDir);
    } catch (IOException e) {
      System.err.println("kstatefun dev: cannot create a work directory: " + e);
      return 1;
    }
    DevDemo demo = new DevDemo(options, System.out, referenceNanos, workDir);
    Thread hook = new Thread(demo::stop, "kstatefun-dev-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    int code = 0;
    try {
      if (logFile != null) {
        System.out.println("logs: " + logFile);
      }
      demo.start();
      demo.awaitEnd(options.duration().orElse(null));
    } catch (Exception e) {
      System.err.println(
          "kstatefun dev failed: " + e + (logFile == null ? "" : " (see " + logFile + ")"));
      e.printStackTrace();
      code = 1;
    }
    demo.stop();
    if (logFile != null) {
      System.out.println("logs kept in " + logFile);
    }
    System.out.flush();
    return code; // the caller exits; the hook finds the demo closed already
  }

  /**
   * Runs the demo with {@code args} until {@code --duration} passes, printing to {@code out}; for
   * tests and embedding. Does not touch logging or install a shutdown hook.
   *
   * @throws IllegalArgumentException if the options lack a duration
   * @throws picocli.CommandLine.ParameterException if the options are invalid
   */
  public static DevSummary run(PrintStream out, Path workDir, String... args)
      throws InterruptedException {
    DevOptions options = DevCommand.parse(args);
    Duration duration =
        options
            .duration()
            .orElseThrow(() -> new IllegalArgumentException("run(...) needs --duration"));
    try (DevDemo demo = new DevDemo(options, out, System.nanoTime(), workDir)) {
      demo.start();
      demo.awaitEnd(duration);
      return demo.stop();
    }
  }

  /** Points log4j2 at the demo's configuration and log file, unless the user chose another one. */
  private static Path configureLogging(Path workDir) throws IOException {
    String configured = System.getProperty("log4j2.configurationFile");
    if (configured != null && !configured.equals(LAUNCHER_LOG_CONFIG)) {
      return null;
    }
    Path logFile = workDir.resolve("kstatefun-dev.log");
    System.setProperty(LOG_FILE_PROPERTY, logFile.toString());
    System.setProperty("log4j2.configurationFile", LOG_CONFIG);
    return logFile;
  }
}
