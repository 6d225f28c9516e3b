package io.kstatefun.chaos.harness;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A JVM child process running a main class of this JVM's class path on loopback. Its output goes to
 * a log file (appended, so restarts of the same role share one file); lines can be awaited. {@link
 * #kill()} is SIGKILL, {@link #terminate(Duration)} SIGTERM. The harness writes control lines to
 * its standard input with {@link #send(String)}.
 *
 * <p>Children die with the harness: a JVM shutdown hook kills every child still running, and the
 * chaos mains watch their parent or their standard input.
 *
 * <p>Threading: thread-safe.
 */
public final class ChildProcess implements AutoCloseable {

  /** JVM options of every child: small heap, cheap JIT, serial GC (the machine has 2 cores). */
  public static final List<String> DEFAULT_JVM_OPTIONS =
      List.of(
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Djava.awt.headless=true");

  private static final List<ChildProcess> LIVE = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(c -> c.process.destroyForcibly()), "chaos-child-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path log;
  private final List<Watcher> watchers = new ArrayList<>();
  private final CompletableFuture<Void> exited = new CompletableFuture<>();
  private final Writer stdin;

  private record Watcher(Predicate<String> match, CompletableFuture<String> line) {}

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin =
        new BufferedWriter(
            new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    LIVE.add(this);
  }

  /**
   * Starts {@code mainClass} with {@code args} in a new JVM.
   *
   * @param name a label (log lines, messages)
   * @param log the output file (appended)
   * @param heap the -Xmx value, e.g. {@code 384m}
   */
  public static ChildProcess start(
      String name,
      Path log,
      String heap,
      List<String> extraJvmOptions,
      String mainClass,
      List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.addAll(DEFAULT_JVM_OPTIONS);
    command.addAll(extraJvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      BufferedWriter out =
          Files.newBufferedWriter(
              log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      out.write(
          "==== "
              + Instant.now()
              + " starting "
              + name
              + ": "
              + mainClass
              + " "
              + String.join(" ", args));
      out.newLine();
      out.flush();
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      ChildProcess child = new ChildProcess(name, p, log);
      Thread pump = new Thread(() -> child.pump(out), name + "-output");
      pump.setDaemon(true);
      pump.start();
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private void pump(BufferedWriter out) {
    try (out;
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
        synchronized (watchers) {
          for (Watcher w : watchers) {
            if (!w.line().isDone() && w.match().test(line)) {
              w.line().complete(line);
            }
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (watchers) {
        for (Watcher w : watchers) {
          w.line()
              .completeExceptionally(
                  new IllegalStateException(name + " exited" + exitDescription()));
        }
      }
      exited.complete(null);
      LIVE.remove(this);
    }
  }

  private String exitDescription() {
    return process.isAlive() ? "" : " with code " + process.exitValue();
  }

  /** A future of the first line (from now on) that matches; fails if the process exits first. */
  public CompletableFuture<String> watch(Predicate<String> match) {
    CompletableFuture<String> f = new CompletableFuture<>();
    synchronized (watchers) {
      if (exited.isDone()) {
        f.completeExceptionally(new IllegalStateException(name + " exited" + exitDescription()));
      } else {
        watchers.add(new Watcher(match, f));
      }
    }
    return f;
  }

  /** Waits for a line; empty on timeout or exit. */
  public static Optional<String> await(CompletableFuture<String> line, Duration timeout) {
    try {
      return Optional.of(line.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Writes one control line to the process's standard input. */
  public synchronized void send(String line) {
    try {
      stdin.write(line);
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to " + name, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** SIGKILL; waits until the process is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /**
   * SIGTERM; waits up to {@code timeout} for the exit, then SIGKILL.
   *
   * @return the exit code, or empty if it had to be killed
   */
  public Optional<Integer> terminate(Duration timeout) {
    process.destroy();
    if (awaitExit(timeout)) {
      return Optional.of(process.exitValue());
    }
    kill();
    return Optional.empty();
  }

  private boolean awaitExit(Duration timeout) {
    try {
      boolean gone = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (gone) {
        exited.get(10, TimeUnit.SECONDS); // the output is fully written
      }
      return gone;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return true;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
