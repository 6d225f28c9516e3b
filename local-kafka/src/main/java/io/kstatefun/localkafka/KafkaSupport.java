package io.kstatefun.localkafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Small file, port and time helpers shared by the local Kafka classes. */
final class KafkaSupport {

  /** The only address the local brokers bind to and advertise. */
  static final String LOOPBACK = "127.0.0.1";

  private KafkaSupport() {}

  /** Picks {@code count} distinct free TCP ports on the loopback address. */
  static int[] freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK));
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + LOOPBACK, e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  /** True if {@code port} can be bound on the loopback address right now. */
  static boolean isFree(int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getByName(LOOPBACK)).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() {
    return freePorts(1)[0];
  }

  /**
   * A free port other than {@code taken} (a port chosen earlier and released again, which the
   * operating system may hand out a second time).
   */
  static int freePortOtherThan(int taken) {
    for (int[] two = freePorts(2); ; two = freePorts(2)) {
      for (int port : two) {
        if (port != taken) {
          return port;
        }
      }
    }
  }

  /** Deletes a file tree, best effort, ignoring files that vanish meanwhile. */
  static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
              if (exc instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // Best effort: a temporary directory left behind is not worth failing a close() for.
    }
  }

  static Properties readProperties(Path file) {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return props;
  }

  static void writeProperties(Path file, Properties props, String comment) {
    try (OutputStream out = Files.newOutputStream(file)) {
      props.store(out, comment);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Nanoseconds left until {@code deadlineNanos} (a {@link System#nanoTime()} value), never
   * negative.
   */
  static long remainingNanos(long deadlineNanos) {
    return Math.max(0L, deadlineNanos - System.nanoTime());
  }

  static long remainingMillis(long deadlineNanos) {
    return remainingNanos(deadlineNanos) / 1_000_000L;
  }

  static boolean expired(long deadlineNanos) {
    return System.nanoTime() - deadlineNanos >= 0;
  }

  static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** True if {@code error} or one of its causes is an instance of {@code type}. */
  static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** The error's message and its root cause's, for short error reports. */
  static String describe(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String top = message(error);
    String cause = message(root);
    return root == error || top.contains(cause) ? top : top + " (cause: " + cause + ")";
  }

  private static String message(Throwable t) {
    return t.getMessage() == null
        ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
