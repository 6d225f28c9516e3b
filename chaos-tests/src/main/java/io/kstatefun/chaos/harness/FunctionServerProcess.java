package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.FnAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A function server in its own JVM behind its own {@link TcpProxy}; the runtimes only know the
 * proxy's port. Restarting the server (after a kill) points the proxy at the new port. Faults
 * inside the server (HTTP 500 bursts, stalls) are switched through its standard input.
 *
 * <p>Threading: synchronized; used by the round thread and the fault injector.
 */
public final class FunctionServerProcess implements AutoCloseable {

  private static final String READY_PREFIX = "chaos function server listening on ";

  private final FnAddress.Kind kind;
  private final String mainClass;
  private final List<String> args;
  private final Path log;
  private final TcpProxy proxy;
  private ChildProcess process;
  private int starts;

  public FunctionServerProcess(FnAddress.Kind kind, String mainClass, List<String> args, Path log) {
    this.kind = kind;
    this.mainClass = mainClass;
    this.args = List.copyOf(args);
    this.log = log;
    this.proxy = new TcpProxy("proxy-" + kind.typeName(), 1);
  }

  /** Starts the server and waits until it listens; then routes the proxy to it. */
  public synchronized void start(Duration timeout) {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name() + " is running");
    }
    process = ChildProcess.start(name(), log, "192m", List.of(), mainClass, args);
    CompletableFuture<String> ready = process.watch(l -> l.startsWith(READY_PREFIX));
    String line =
        ChildProcess.await(ready, timeout)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        name() + " did not start in " + timeout + "; see " + log));
    proxy.upstream(Integer.parseInt(line.substring(READY_PREFIX.length()).trim()));
    starts++;
  }

  /** kill -9 of the server process (the proxy stays). */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** Answers the next {@code n} requests (batches) with HTTP 500. */
  public synchronized void failNext(int n) {
    control("fail " + n);
  }

  /** Delays every answer by {@code ms} (0: no stall). */
  public synchronized void stall(long ms) {
    control("stall " + ms);
  }

  private void control(String line) {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException(name() + " is not running");
    }
    CompletableFuture<String> ack = process.watch(l -> l.equals("ok " + line));
    process.send(line);
    ChildProcess.await(ack, Duration.ofSeconds(10))
        .orElseThrow(
            () -> new IllegalStateException(name() + " did not acknowledge '" + line + "'"));
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public TcpProxy proxy() {
    return proxy;
  }

  public FnAddress.Kind kind() {
    return kind;
  }

  public String name() {
    return "functions-" + kind.typeName();
  }

  public synchronized int starts() {
    return starts;
  }

  @Override
  public synchronized void close() {
    proxy.close();
    if (process != null) {
      process.close();
    }
  }
}
