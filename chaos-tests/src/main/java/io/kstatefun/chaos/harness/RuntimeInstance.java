package io.kstatefun.chaos.harness;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One kstatefun runtime instance of a round: {@code kstatefun run} in its own JVM with a fixed
 * state directory, so a restart after a kill reuses its process id (and transactional id). Can be
 * killed (SIGKILL), terminated (SIGTERM) and started again.
 *
 * <p>Threading: used by the round's thread and the fault injector, one at a time (synchronized).
 */
public final class RuntimeInstance implements AutoCloseable {

  private final String name;
  private final List<String> args;
  private final Path log;
  private final String heap;
  private ChildProcess process;
  private CompletableFuture<String> running;
  private int starts;

  /**
   * @param name e.g. {@code runtime-1}
   * @param args the arguments after {@code run}
   * @param log the output file
   */
  public RuntimeInstance(String name, List<String> args, Path log, String heap) {
    this.name = name;
    this.args = List.copyOf(args);
    this.log = log;
    this.heap = heap;
  }

  /** Starts the process (not waiting for it to run). */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is running");
    }
    List<String> cli = new java.util.ArrayList<>();
    cli.add("run");
    cli.addAll(args);
    process =
        ChildProcess.start(
            name,
            log,
            heap,
            List.of(
                "-D" + ParentWatchdog.PARENT_PID_PROPERTY + "=" + ProcessHandle.current().pid()),
            ParentWatchdog.class.getName(),
            cli);
    running = process.watch(l -> l.startsWith("kstatefun running"));
    starts++;
  }

  /** Waits for the CLI's "kstatefun running" line of the current process. */
  public boolean awaitRunning(Duration timeout) {
    CompletableFuture<String> r;
    synchronized (this) {
      r = running;
    }
    return r != null && ChildProcess.await(r, timeout).isPresent();
  }

  /** kill -9. */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** SIGTERM and wait; the exit code, or empty if it had to be killed after {@code timeout}. */
  public synchronized Optional<Integer> terminate(Duration timeout) {
    return process == null ? Optional.empty() : process.terminate(timeout);
  }

  /** The pid of the running process, or -1. */
  public synchronized long pid() {
    return process != null && process.isAlive() ? process.pid() : -1;
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public String name() {
    return name;
  }

  public synchronized int starts() {
    return starts;
  }

  public Path log() {
    return log;
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.close();
    }
  }
}
