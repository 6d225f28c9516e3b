package io.kstatefun.chaos.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 between the runtimes and a function server, with three modes:
 *
 * <ul>
 *   <li>{@link #pass()}: forward bytes as they come;
 *   <li>{@link #delay(long)}: hold every chunk of bytes, in both directions, for some milliseconds
 *       (added latency);
 *   <li>{@link #drop()}: close every open connection at once (in-flight requests die half-way) and
 *       close new connections as soon as they are accepted, until the mode changes.
 * </ul>
 *
 * The upstream port can change ({@link #upstream(int)}) when a function server is restarted on a
 * new port; open connections keep their old upstream (and die with it).
 *
 * <p>Threading: thread-safe; two daemon threads per connection, one accept thread.
 */
public final class TcpProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String name;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile int upstreamPort;
  private volatile long delayMs;
  private volatile boolean dropping;
  private volatile boolean closed;

  public TcpProxy(String name, int upstreamPort) {
    this.name = name;
    this.upstreamPort = upstreamPort;
    try {
      server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind proxy " + name, e);
    }
    Thread t = new Thread(this::acceptLoop, name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  /** The port the runtimes connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** Where new connections go. */
  public void upstream(int port) {
    this.upstreamPort = port;
  }

  public int upstream() {
    return upstreamPort;
  }

  public void pass() {
    dropping = false;
    delayMs = 0;
  }

  public void delay(long ms) {
    dropping = false;
    delayMs = Math.max(0, ms);
  }

  /**
   * Closes all connections now and refuses new ones (accept, then close) until the mode changes.
   */
  public void drop() {
    dropping = true;
    for (Connection c : connections) {
      c.close(true);
      dropped.incrementAndGet();
    }
  }

  /** Closes every open connection once, without changing the mode. */
  public void dropOpenConnections() {
    for (Connection c : connections) {
      c.close(true);
      dropped.incrementAndGet();
    }
  }

  public long acceptedConnections() {
    return accepted.get();
  }

  public long droppedConnections() {
    return dropped.get();
  }

  public int openConnections() {
    return connections.size();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      accepted.incrementAndGet();
      if (dropping) {
        dropped.incrementAndGet();
        closeQuietly(client, true);
        continue;
      }
      Socket upstream;
      try {
        upstream = new Socket();
        upstream.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5_000);
        upstream.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(client, true); // upstream down: the client sees the connection reset
        continue;
      }
      Connection c = new Connection(client, upstream);
      connections.add(c);
      c.start();
    }
  }

  /** One proxied connection: two pumps. */
  private final class Connection {
    private final Socket client;
    private final Socket upstream;

    Connection(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      Thread up = new Thread(() -> pump(client, upstream), name + "-up");
      Thread down = new Thread(() -> pump(upstream, client), name + "-down");
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          long d = delayMs;
          if (d > 0) {
            Thread.sleep(d);
          }
          if (dropping) {
            break;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (SocketException e) {
        // closed by the other side or by drop()
      } catch (IOException e) {
        // same
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        close(dropping);
      }
    }

    /** Closes both sides; {@code reset} sends RST instead of FIN (an abrupt failure). */
    void close(boolean reset) {
      connections.remove(this);
      closeQuietly(client, reset);
      closeQuietly(upstream, reset);
    }
  }

  private static void closeQuietly(Socket s, boolean reset) {
    if (reset) {
      try {
        s.setSoLinger(true, 0); // reset, like a crashed peer
      } catch (IOException ignored) {
        // not connected
      }
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    for (Connection c : connections) {
      c.close(true);
    }
  }

  @Override
  public String toString() {
    return name + " :" + port() + " -> :" + upstreamPort;
  }
}
