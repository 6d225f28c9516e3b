package io.kstatefun.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM the driver starts on its own class path (broker, function server, runtime, baseline). Its
 * standard output and error go to a log file; lines starting with {@code BENCH } and the ready line
 * are also handed to the driver. A child started through {@link Bench} stops cleanly when its
 * standard input closes, so it never outlives the driver.
 *
 * <p>Threading: one pump thread per child copies its output; {@link #request} is synchronized.
 */
final class ChildJvm implements AutoCloseable {

  static final String PROTOCOL_PREFIX = "BENCH ";

  private final String name;
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final PrintWriter stdin;
  private final Path log;
  private String readyLine;

  private ChildJvm(String name, Process process, Path log, String readyPrefix) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  Writer out =
                      Files.newBufferedWriter(
                          log,
                          StandardCharsets.UTF_8,
                          StandardOpenOption.CREATE,
                          StandardOpenOption.APPEND)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.write(line);
                  out.write('\n');
                  out.flush();
                  if (line.startsWith(PROTOCOL_PREFIX) || line.startsWith(readyPrefix)) {
                    lines.add(line);
                  }
                }
              } catch (IOException ignored) {
                // the process ended
              }
              lines.add("EOF");
            },
            name + "-output");
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code java <jvmOptions> -cp <this class path> <mainClass> <args>} and waits for a line
   * starting with {@code readyPrefix}.
   */
  static ChildJvm start(
      String name,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      Path logDir,
      String readyPrefix,
      Duration timeout)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    String logConfig = System.getProperty("log4j2.configurationFile");
    if (logConfig != null) {
      command.add("-Dlog4j2.configurationFile=" + logConfig);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    Files.writeString(log, String.join(" ", command) + "\n", StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    ChildJvm child = new ChildJvm(name, p, log, readyPrefix);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : child.lines.poll(left, TimeUnit.NANOSECONDS);
      if (line == null || line.equals("EOF")) {
        child.close();
        throw new IOException(
            name
                + " did not start within "
                + timeout.toSeconds()
                + " s"
                + (line == null ? "" : " (it exited)")
                + "; see "
                + log);
      }
      if (line.startsWith(readyPrefix)) {
        child.readyLine = line;
        return child;
      }
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  String readyLine() {
    return readyLine;
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Writes {@code command} to the child's stdin and returns the payload of its next BENCH line. */
  synchronized String request(String command, Duration timeout) throws InterruptedException {
    lines.clear();
    stdin.println(command);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
      if (line == null || line.equals("EOF")) {
        return null;
      }
      if (line.startsWith(PROTOCOL_PREFIX)) {
        return line.substring(PROTOCOL_PREFIX.length());
      }
    }
  }

  /** Asks the child to stop cleanly (closing its stdin), waits, then kills it if needed. */
  @Override
  public void close() {
    try {
      stdin.println("stop");
      stdin.close();
      OutputStream ignored = process.getOutputStream();
      ignored.close();
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(45, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM (for children that stop on it, like the broker), then waits. */
  void terminate() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
