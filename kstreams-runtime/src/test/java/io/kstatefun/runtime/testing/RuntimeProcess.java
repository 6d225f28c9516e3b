package io.kstatefun.runtime.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kstatefun runtime instance in its own JVM ({@code KStatefunCli run ...} on this test's class
 * path), so tests can kill it for real: {@link #kill()} is SIGKILL, {@link #stop()} is SIGTERM. Its
 * output is copied to this process's stdout with a prefix.
 */
public final class RuntimeProcess implements AutoCloseable {

  private final Process process;
  private final CountDownLatch running = new CountDownLatch(1);
  private final String name;

  /** Lines that contain "kstatefun fail-over", with the wall-clock time they were read. */
  private final List<String> failoverLines = new java.util.concurrent.CopyOnWriteArrayList<>();

  private RuntimeProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  System.out.println("[" + name + "] " + line);
                  if (line.startsWith("kstatefun running")) {
                    running.countDown();
                  }
                  if (line.contains("kstatefun fail-over")) {
                    failoverLines.add(System.currentTimeMillis() + " " + line);
                  }
                }
              } catch (IOException ignored) {
                // process ended
              }
            },
            name + "-output");
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code kstatefun run} with these arguments.
   *
   * @param name a label for the output
   * @param args the arguments after {@code run}
   */
  public static RuntimeProcess start(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.kstatefun.runtime.cli.KStatefunCli");
    command.add("run");
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    return new RuntimeProcess(name, p);
  }

  /** Waits for the "kstatefun running" line. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** kill -9: no shutdown hooks, no commit, no clean close. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * Sends SIGTERM and returns at once (see {@link #awaitExit}). Through the process handle, since
   * {@code Process.destroy()} also closes the pipes, which would hide what the instance logs while
   * it shuts down.
   */
  public void terminate() {
    process.toHandle().destroy();
  }

  /** Waits for the process to end; its exit code, or -1 if it still runs after {@code timeout}. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /**
   * Lines this instance logged that contain "kstatefun fail-over" (its fail-over detection), each
   * prefixed by the wall-clock ms at which it was read.
   */
  public List<String> failoverLines() {
    return List.copyOf(failoverLines);
  }

  /** Sends a signal with {@code kill -<signal> <pid>} (e.g. STOP, CONT). */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + pid() + " failed");
    }
  }

  /** SIGTERM, then waits for a clean exit. Returns the exit code. */
  public int stop() throws InterruptedException {
    terminate();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  /**
   * The arguments of one of several instances of an application: {@code common} plus the instance's
   * own state directory and admin port.
   */
  public static List<String> instanceArgs(List<String> common, Path stateDir, int adminPort) {
    List<String> args = new ArrayList<>(common);
    args.addAll(
        List.of("--state-dir", stateDir.toString(), "--set", "kstatefun.admin.port=" + adminPort));
    return args;
  }

  /** A port that was free a moment ago (for an instance's {@code kstatefun.admin.port}). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Partitions (of the loopback topic) in an instance's active tasks, from the /status endpoint of
   * its admin port; empty when it is down.
   */
  public static Set<Integer> activePartitions(int adminPort) {
    Set<Integer> out = new TreeSet<>();
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + adminPort + "/status").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      String status;
      try (var body = c.getInputStream()) {
        status = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      }
      int active = status.indexOf("\"activeTasks\"");
      int standby = status.indexOf("\"standbyTasks\"");
      Matcher m =
          Pattern.compile("\"taskId\" : \"0_(\\d+)\"").matcher(status.substring(active, standby));
      while (m.find()) {
        out.add(Integer.parseInt(m.group(1)));
      }
    } catch (IOException | RuntimeException e) {
      // instance not up
    }
    return out;
  }
}
