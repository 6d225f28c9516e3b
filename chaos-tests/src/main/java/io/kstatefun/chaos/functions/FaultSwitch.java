package io.kstatefun.chaos.functions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults a function server injects into its own answers, switched by the harness through the
 * server's standard input, one command per line:
 *
 * <pre>
 * fail N      answer the next N requests (batches) with HTTP 500
 * stall MS    delay every answer by MS milliseconds (0: stop stalling)
 * </pre>
 *
 * Each command is acknowledged with {@code ok <command>} on standard output. End of input means the
 * harness is gone: the server halts.
 *
 * <p>Threading: thread-safe; read by request threads, written by the control thread.
 */
public final class FaultSwitch {

  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicLong stallMs = new AtomicLong();
  private final AtomicLong injectedFailures = new AtomicLong();

  /** Whether this request must fail (consumes one of the pending failures). */
  public boolean takeFailure() {
    boolean fail = failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    if (fail) {
      injectedFailures.incrementAndGet();
    }
    return fail;
  }

  public long stallMs() {
    return stallMs.get();
  }

  public void failNext(int n) {
    failures.set(Math.max(0, n));
  }

  public void stall(long ms) {
    stallMs.set(Math.max(0, ms));
  }

  public long injectedFailures() {
    return injectedFailures.get();
  }

  /** Applies one control line; returns false if it is not understood. */
  public boolean apply(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length != 2) {
      return false;
    }
    try {
      long value = Long.parseLong(parts[1]);
      switch (parts[0]) {
        case "fail" -> failNext((int) value);
        case "stall" -> stall(value);
        default -> {
          return false;
        }
      }
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Reads control lines from {@code in} on a daemon thread; halts the JVM at end of input. */
  public void listen(InputStream in, PrintStream out) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  out.println((apply(line) ? "ok " : "unknown command: ") + line.trim());
                  out.flush();
                }
              } catch (IOException e) {
                // fall through: treat as end of input
              }
              Runtime.getRuntime().halt(3);
            },
            "chaos-fault-control");
    t.setDaemon(true);
    t.start();
  }
}
