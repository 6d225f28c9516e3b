package io.kstatefun.runtime.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Serves a request-reply handler ({@code bytes -> future of bytes}) over HTTP on 127.0.0.1, the way
 * StateFun's docs serve the official SDK. Tests use it for functions written with the official
 * {@code statefun-sdk-java}. It can inject faults: a number of HTTP 500 answers, or a stall.
 */
public final class FunctionHttpServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger failNext = new AtomicInteger();
  private volatile long stallMs;
  private final java.util.Queue<String> traceparents =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  public FunctionHttpServer(Function<byte[], CompletableFuture<byte[]>> handler)
      throws IOException {
    this(0, handler);
  }

  public FunctionHttpServer(int port, Function<byte[], CompletableFuture<byte[]>> handler)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    executor = Executors.newFixedThreadPool(8);
    server.setExecutor(executor);
    server.createContext("/", exchange -> handle(exchange, handler));
    server.start();
  }

  private void handle(HttpExchange exchange, Function<byte[], CompletableFuture<byte[]>> handler)
      throws IOException {
    requests.incrementAndGet();
    String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
    if (traceparent != null) {
      traceparents.add(traceparent);
    }
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (stallMs > 0) {
        Thread.sleep(stallMs); // fault injection: a stalled function
      }
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      byte[] reply = handler.apply(body).get();
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, reply.length == 0 ? -1 : reply.length);
      if (reply.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(reply);
        }
      }
    } catch (Exception e) {
      byte[] msg = String.valueOf(e).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, msg.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(msg);
      }
    }
  }

  /** The W3C {@code traceparent} headers of the requests so far, in arrival order. */
  public java.util.List<String> traceparents() {
    return java.util.List.copyOf(traceparents);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The URL template for a module.yaml endpoint: {@code http://127.0.0.1:PORT/{function.name}}. */
  public String urlTemplate() {
    return "http://127.0.0.1:" + port() + "/{function.name}";
  }

  public int requests() {
    return requests.get();
  }

  /** Answers the next {@code n} requests with HTTP 500. */
  public void failNext(int n) {
    failNext.set(n);
  }

  /** Delays every answer by {@code ms}. */
  public void stall(long ms) {
    stallMs = ms;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
