package io.kstatefun.benchmarks;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A process of a peer system (restate-server, the Node.js service, a StateFun JVM) the driver
 * starts: its output goes to a log file, it is stopped with SIGTERM (then killed) on {@link
 * #close()}, and killed by a shutdown hook if the driver exits without closing it. Unlike a {@link
 * ChildJvm} it need not watch the driver's standard input (restate-server does not), so a driver
 * killed with SIGKILL can leave it running.
 */
final class PeerProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private final Thread killOnExit;

  private PeerProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    // If the driver exits without closing this (an exception, Ctrl-C), do not leave it running.
    this.killOnExit = new Thread(process::destroyForcibly, name + "-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Starts {@code command} in {@code dir} with extra environment variables {@code env}. */
  static PeerProcess start(
      String name, List<String> command, Map<String, String> env, Path dir, Path log)
      throws IOException {
    Files.createDirectories(log.getParent());
    Files.writeString(log, String.join(" ", command) + "\n", StandardCharsets.UTF_8);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    return new PeerProcess(name, pb.start(), log);
  }

  /**
   * Waits until {@code ready} is true, polling every 100 ms; fails when the process exits or the
   * timeout passes.
   */
  void awaitReady(BooleanSupplier ready, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new IOException(
            name + " exited with " + process.exitValue() + " before it was ready; see " + log);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            name + " was not ready within " + timeout.toSeconds() + " s; see " + log);
      }
      Thread.sleep(100);
    }
  }

  /** True once the log contains {@code text}. */
  boolean logContains(String text) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** A TCP port that was free a moment ago, on the loopback interface. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** SIGTERM, up to {@code grace} to exit, then SIGKILL (the process and what it started). */
  void stop(Duration grace) {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook kills it
    }
    if (!process.isAlive()) {
      return;
    }
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        Bench.log(name + " did not stop within " + grace.toSeconds() + " s: killing it");
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(20));
  }
}
