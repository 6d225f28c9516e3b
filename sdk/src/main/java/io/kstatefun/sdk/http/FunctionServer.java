package io.kstatefun.sdk.http;

import io.kstatefun.sdk.FunctionInvocationException;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.MalformedRequestException;
import io.kstatefun.sdk.RequestReplyHandler;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.UnknownFunctionTypeException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the functions of a {@link FunctionRegistry} over HTTP, the transport the StateFun and
 * kstatefun runtimes use.
 *
 * <pre>{@code
 * FunctionServer server = new FunctionServer(registry).listen(8000);
 * Runtime.getRuntime().addShutdownHook(new Thread(server::close));
 * }</pre>
 *
 * <p>Any path accepts requests (the function type is inside the request), so any {@code
 * urlPathTemplate} works. Responses:
 *
 * <ul>
 *   <li>{@code POST} with a {@code ToFunction} body: 200, {@code application/octet-stream}, the
 *       {@code FromFunction} (an empty body when there is nothing to say).
 *   <li>{@code GET <healthPath>} (default {@code /health}): 200 with a small JSON document while
 *       serving, 503 while shutting down.
 *   <li>Other methods: 405. A {@code Content-Type} other than {@code application/octet-stream}: 415
 *       (a missing {@code Content-Type} is accepted, for hand-made requests such as {@code curl
 *       --data-binary}). An empty or undecodable body: 400. A body over the size limit: 413. An
 *       unknown function type: 404 naming it. A failing function: 500 whose text body names the
 *       function, address and invocation; the runtime retries the batch. Requests arriving during
 *       shutdown: 503.
 * </ul>
 *
 * <p>{@link #close()} shuts down gracefully: it stops accepting connections, lets in-flight
 * requests finish for up to the configured timeout, then stops the server.
 *
 * <p>Threading: Vert.x event loop threads own the HTTP requests and responses; functions run on the
 * server's worker threads (or the configured executor) and their results hop back to the request's
 * event loop. {@link #listen} and {@link #close} block and must not be called from an event loop.
 */
public final class FunctionServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FunctionServer.class);
  private static final String OCTET_STREAM = "application/octet-stream";
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);

  private enum State {
    NEW,
    LISTENING,
    CLOSED
  }

  private final FunctionRegistry registry;
  private final RequestReplyHandler handler;
  private final FunctionServerOptions options;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;
  private State state = State.NEW;
  private Vertx vertx;
  private HttpServer server;
  private Executor functionExecutor;
  private ExecutorService ownedExecutor;

  /** A server with {@link FunctionServerOptions#defaults()}. */
  public FunctionServer(FunctionRegistry registry) {
    this(registry, FunctionServerOptions.defaults());
  }

  /** A server with the given options. */
  public FunctionServer(FunctionRegistry registry, FunctionServerOptions options) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.options = Objects.requireNonNull(options, "options");
    this.handler = registry.requestReplyHandler();
  }

  /**
   * Starts serving on {@code port} and returns once bound. Use port 0 to bind any free port, then
   * read it with {@link #port()}.
   *
   * @return this server
   * @throws IllegalStateException if the server was already started, or cannot bind
   */
  public synchronized FunctionServer listen(int port) {
    if (state != State.NEW) {
      throw new IllegalStateException("This FunctionServer was already started (" + state + ")");
    }
    requireNotOnEventLoop("listen");
    if (options.executor() != null) {
      functionExecutor = options.executor();
    } else {
      ownedExecutor = Executors.newFixedThreadPool(options.workerThreads(), new WorkerThreads());
      functionExecutor = ownedExecutor;
    }
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer(
                new HttpServerOptions()
                    .setHost(options.host())
                    .setPort(port)
                    .setHandle100ContinueAutomatically(true))
            .requestHandler(this::onRequest);
    try {
      server
          .listen(port, options.host())
          .toCompletionStage()
          .toCompletableFuture()
          .get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      closeVertxQuietly();
      stopOwnedExecutor();
      state = State.CLOSED;
      throw new IllegalStateException(
          "Cannot listen on " + options.host() + ":" + port + ": " + cause, cause);
    }
    state = State.LISTENING;
    LOG.info(
        "Serving functions {} on http://{}:{}", registry.functionTypes(), options.host(), port());
    return this;
  }

  /**
   * The bound port (the actual one when started with port 0).
   *
   * @throws IllegalStateException if the server is not listening
   */
  public synchronized int port() {
    if (state != State.LISTENING) {
      throw new IllegalStateException("This FunctionServer is not listening (" + state + ")");
    }
    return server.actualPort();
  }

  /** The number of requests being handled right now. */
  public int inFlightRequests() {
    return inFlight.get();
  }

  /** Shuts down gracefully, waiting up to the configured shutdown timeout. */
  @Override
  public void close() {
    shutdown(options.shutdownTimeout());
  }

  /**
   * Shuts down gracefully: stops accepting connections, answers new requests on open connections
   * with 503, waits up to {@code timeout} for in-flight requests, then stops. Idempotent.
   */
  public synchronized void shutdown(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (state != State.LISTENING) {
      state = State.CLOSED;
      return;
    }
    requireNotOnEventLoop("close");
    state = State.CLOSED;
    draining = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    LOG.info("Shutting down; {} requests in flight, waiting up to {}", inFlight.get(), timeout);
    try {
      server
          .shutdown(timeout)
          .toCompletionStage()
          .toCompletableFuture()
          .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("HTTP server shutdown did not complete cleanly: {}", e.toString());
    }
    if (inFlight.get() > 0) {
      LOG.warn("Stopping with {} requests still in flight after {}", inFlight.get(), timeout);
    }
    closeVertxQuietly();
    stopOwnedExecutor();
    LOG.info("Stopped");
  }

  private void onRequest(HttpServerRequest request) {
    if (request.method() == HttpMethod.GET && options.healthPath().equals(request.path())) {
      health(request);
      return;
    }
    if (request.method() != HttpMethod.POST) {
      request.response().putHeader(HttpHeaders.ALLOW, "POST");
      reject(
          request,
          405,
          "Method "
              + request.method()
              + " not allowed: send the ToFunction"
              + " request with POST (health checks: GET "
              + options.healthPath()
              + ")");
      return;
    }
    if (draining) {
      reject(request, 503, "The function server is shutting down");
      return;
    }
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType != null && !isOctetStream(contentType)) {
      reject(request, 415, "Unsupported content type '" + contentType + "': send " + OCTET_STREAM);
      return;
    }
    String contentLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (contentLength != null && parseLength(contentLength) > options.maxRequestBytes()) {
      reject(
          request,
          413,
          "The request has " + contentLength + " bytes; the limit is " + options.maxRequestBytes());
      return;
    }
    inFlight.incrementAndGet();
    readBody(new Exchange(request));
  }

  /** One POST being handled; {@link #release()} ends its in-flight accounting exactly once. */
  private final class Exchange {
    final HttpServerRequest request;
    final Buffer body = Buffer.buffer();
    private boolean released;

    Exchange(HttpServerRequest request) {
      this.request = request;
    }

    /** Returns false if already released. Called on the request's event loop only. */
    boolean release() {
      if (released) {
        return false;
      }
      released = true;
      inFlight.decrementAndGet();
      return true;
    }
  }

  private void readBody(Exchange exchange) {
    HttpServerRequest request = exchange.request;
    request.exceptionHandler(
        error -> {
          if (exchange.release()) {
            LOG.debug("Failed to read a request body: {}", error.toString());
          }
        });
    request.handler(
        chunk -> {
          if (exchange.released) {
            return;
          }
          if ((long) exchange.body.length() + chunk.length() > options.maxRequestBytes()) {
            exchange.release();
            reject(
                request,
                413,
                "The request exceeds the limit of " + options.maxRequestBytes() + " bytes");
            return;
          }
          exchange.body.appendBuffer(chunk);
        });
    request.endHandler(
        ignored -> {
          if (exchange.released) {
            return;
          }
          if (exchange.body.length() == 0) {
            exchange.release();
            respond(
                request,
                400,
                TEXT,
                Buffer.buffer("Empty request body: expected a serialized ToFunction message"));
            return;
          }
          dispatch(exchange);
        });
  }

  private void dispatch(Exchange exchange) {
    byte[] body = exchange.body.getBytes();
    Context eventLoop = Vertx.currentContext();
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    try {
      functionExecutor.execute(() -> forward(handleSafely(body), result));
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    result.whenComplete(
        (response, error) -> {
          try {
            eventLoop.runOnContext(ignored -> reply(exchange, response, error));
          } catch (RejectedExecutionException e) {
            LOG.warn(
                "A request for {} completed after the server stopped; its response is dropped",
                describe(body));
          }
        });
  }

  private CompletableFuture<byte[]> handleSafely(byte[] body) {
    try {
      return handler.handle(body);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void forward(CompletableFuture<byte[]> from, CompletableFuture<byte[]> to) {
    from.whenComplete(
        (value, error) -> {
          if (error != null) {
            to.completeExceptionally(error);
          } else {
            to.complete(value);
          }
        });
  }

  private void reply(Exchange exchange, byte[] response, Throwable error) {
    if (!exchange.release()) {
      return;
    }
    HttpServerRequest request = exchange.request;
    if (error == null) {
      respond(request, 200, OCTET_STREAM, Buffer.buffer(response));
      return;
    }
    Throwable cause = unwrap(error);
    if (cause instanceof MalformedRequestException) {
      respond(request, 400, TEXT, Buffer.buffer(cause.getMessage()));
    } else if (cause instanceof UnknownFunctionTypeException) {
      LOG.warn("{}", cause.getMessage());
      respond(request, 404, TEXT, Buffer.buffer(cause.getMessage()));
    } else if (cause instanceof FunctionInvocationException) {
      LOG.warn("{}", cause.getMessage(), cause.getCause());
      respond(request, 500, TEXT, Buffer.buffer(cause.getMessage()));
    } else {
      LOG.error("Unexpected failure while handling a request", cause);
      respond(request, 500, TEXT, Buffer.buffer("Internal error in the function server: " + cause));
    }
  }

  private void health(HttpServerRequest request) {
    String functions =
        registry.functionTypes().stream()
            .map(TypeName::asString)
            .map(name -> "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
            .collect(Collectors.joining(","));
    String status = draining ? "DRAINING" : "UP";
    respond(
        request,
        draining ? 503 : 200,
        "application/json",
        Buffer.buffer("{\"status\":\"" + status + "\",\"functions\":[" + functions + "]}"));
  }

  /** Answers before the body was read: the connection is closed so no unread bytes linger. */
  private static void reject(HttpServerRequest request, int status, String message) {
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    respond(request, status, TEXT, Buffer.buffer(message));
  }

  private static void respond(
      HttpServerRequest request, int status, String contentType, Buffer body) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, contentType).end(body);
  }

  /** The target of a request body, for log messages; never throws. */
  private static String describe(byte[] body) {
    try {
      io.kstatefun.protocol.Address target =
          io.kstatefun.protocol.ToFunction.parseFrom(body).getInvocation().getTarget();
      return target.getNamespace() + "/" + target.getType() + "/" + target.getId();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return "an undecodable request";
    }
  }

  private static boolean isOctetStream(String contentType) {
    int semicolon = contentType.indexOf(';');
    String mediaType = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return mediaType.trim().toLowerCase(Locale.ROOT).equals(OCTET_STREAM);
  }

  private static long parseLength(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static void requireNotOnEventLoop(String operation) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException(
          operation + "() blocks and cannot run on a Vert.x event loop");
    }
  }

  private void stopOwnedExecutor() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  /** Daemon threads named {@code kstatefun-function-N}. */
  private static final class WorkerThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread = new Thread(task, "kstatefun-function-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    }
  }

  private void closeVertxQuietly() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("Vert.x did not stop cleanly: {}", e.toString());
    }
  }
}
