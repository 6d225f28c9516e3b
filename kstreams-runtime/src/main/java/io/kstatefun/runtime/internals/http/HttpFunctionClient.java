package io.kstatefun.runtime.internals.http;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.HeaderSource;
import io.kstatefun.routing.module.HttpEndpointSpec;
import io.kstatefun.routing.module.HttpTransportSpec;
import io.kstatefun.runtime.internals.http.FunctionCallException.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.codec.spi.BodyStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP transport to remote functions: POSTs a serialized {@code ToFunction} to the function's
 * endpoint URL with Vert.x's asynchronous HTTP client and parses the {@code FromFunction} answer.
 *
 * <p>Failures are classified ({@link Kind}): connection errors, timeouts, TLS handshake failures,
 * 5xx, 408 and 429 are retryable and are retried with exponential backoff and full jitter in [d/2,
 * d] until the endpoint's {@code call} budget is spent (forever with {@code onFailure:
 * retry-forever}); other 4xx, a wrong content type, an undecodable body and an oversized payload
 * are terminal. Each attempt's timeout is what is left of the budget (the whole {@code call} with
 * {@code retry-forever}), and it is absolute: besides the web client's own timeout, which stops
 * counting once the response head has arrived, a timer of ours abandons an attempt that has not
 * ended shortly after its timeout (logged as a warning) and counts it as a {@code TIMEOUT}, and a
 * connection silent for longer than a {@code call} with a request on it is closed. Retries wait on
 * Vert.x timers, so no thread sleeps, and each call retries on its own: other addresses are
 * unaffected.
 *
 * <p>Keep-alive connections are pooled, and servers close idle ones when they choose (the JDK's
 * HTTP server after 30 s, at 10 s ticks, even while a request is arriving). A request that fails
 * because its connection closed before any byte of the response arrived, and that either went out
 * on a connection an earlier request had used or never left (its write failed), is sent again at
 * once on a new connection of its own, once per attempt, without counting as a failed attempt or
 * logging a warning: the server closed a stale pooled connection, which says nothing about the
 * function. If the request sent again fails too, or a request on a new connection is cut off after
 * it was written, that is a failed attempt like any other.
 *
 * <p>Cancelling the returned future (the task that made the call closed) stops further attempts.
 *
 * <p>A response body larger than {@code payload_max_bytes} is refused while it is read, never
 * buffered whole. Static headers ({@code headers} extension) are resolved once per endpoint, at
 * {@link #prepare}; their values are never logged or put into error messages.
 *
 * <p>Threading: {@link #call} may be invoked from any thread; futures complete on Vert.x event-loop
 * threads.
 */
public final class HttpFunctionClient implements FunctionClient {

  private static final Logger LOG = LoggerFactory.getLogger(HttpFunctionClient.class);
  private static final String OCTET_STREAM = "application/octet-stream";

  /**
   * How long after its timeout an attempt that the HTTP client has not ended is abandoned: long
   * enough for the client's own timeout to report first when it works.
   */
  static final long GUARD_GRACE_MS = 250;

  /** Observes every HTTP attempt, for metrics. */
  public interface Listener {
    default void attempt(FunctionType type, long nanos, boolean ok) {}

    default void retry(FunctionType type, Kind kind) {}
  }

  /**
   * Retry backoff.
   *
   * @param initialBackoffMs delay before the first retry
   * @param maxBackoffMs cap of the exponentially growing delay
   */
  public record Backoff(long initialBackoffMs, long maxBackoffMs) {
    public static Backoff defaults() {
      return new Backoff(10, 2_000);
    }
  }

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Function<FunctionType, Optional<HttpEndpointSpec>> endpoints;
  private final Backoff backoff;
  private final Listener listener;
  private final ConcurrentHashMap<HttpEndpointSpec, Endpoint> clients = new ConcurrentHashMap<>();

  /**
   * The HTTP client of one endpoint, its static headers, and the connections it has sent a request
   * on (weakly held; their event loops add to it).
   */
  private record Endpoint(
      HttpClientAgent client,
      Map<String, String> headers,
      Set<HttpConnection> used,
      ConcurrentHashMap<FunctionType, Target> targets) {
    /** True if a request went out on {@code connection} before; remembers it either way. */
    boolean reuses(HttpConnection connection) {
      return connection != null && !used.add(connection);
    }

    /** The URL of {@code type} on {@code spec} and its request options, built once per type. */
    Target target(HttpEndpointSpec spec, FunctionType type) {
      Target t = targets.get(type);
      return t != null ? t : targets.computeIfAbsent(type, k -> Target.of(spec, k, headers));
    }
  }

  /**
   * A function type's URL and the request options every call to it starts from (method, URL,
   * content type, static headers): parsing the URL on every call costs more than copying these.
   */
  private record Target(String url, RequestOptions template) {
    static Target of(HttpEndpointSpec spec, FunctionType type, Map<String, String> headers) {
      String url = spec.urlFor(type).toString();
      RequestOptions options =
          new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setAbsoluteURI(url)
              .putHeader("Content-Type", OCTET_STREAM);
      headers.forEach(options::putHeader);
      return new Target(url, options);
    }
  }

  /** A complete HTTP response. */
  private record Answer(int status, String contentType, Buffer body) {}

  /**
   * What one request learned about its connection, to tell a stale pooled connection from a
   * failure.
   */
  private static final class Exchange {
    volatile boolean reusedConnection;
    volatile boolean written;
    volatile boolean responded;
  }

  public HttpFunctionClient(
      Vertx vertx,
      Function<FunctionType, Optional<HttpEndpointSpec>> endpoints,
      Backoff backoff,
      Listener listener) {
    this.vertx = vertx == null ? Vertx.vertx() : vertx;
    this.ownsVertx = vertx == null;
    this.endpoints = endpoints;
    this.backoff = backoff;
    this.listener = listener;
  }

  /**
   * Creates the clients of {@code specs} now, so that configuration errors (a missing header
   * variable or file, unreadable TLS material) fail the start-up instead of a call.
   *
   * @throws IllegalStateException or IllegalArgumentException naming the endpoint and the problem
   */
  public void prepare(java.util.Collection<HttpEndpointSpec> specs) {
    for (HttpEndpointSpec spec : specs) {
      try {
        clientFor(spec);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "endpoint for " + spec.functions() + " (" + spec.origin() + "): " + e.getMessage(), e);
      }
    }
  }

  @Override
  public CompletableFuture<Reply> call(Address target, ToFunction request) {
    return call(target, request, null);
  }

  @Override
  public CompletableFuture<Reply> call(Address target, ToFunction request, CallTrace trace) {
    CompletableFuture<Reply> result = new CompletableFuture<>();
    try {
      start(target, request, result, trace);
    } catch (RuntimeException e) {
      // e.g. an endpoint whose TLS material or header source cannot be read: fail this call only
      result.completeExceptionally(
          new FunctionCallException(
              Kind.OTHER, false, 0, target, "-", String.valueOf(e.getMessage()), e));
    }
    return result;
  }

  private void start(
      Address target, ToFunction request, CompletableFuture<Reply> result, CallTrace trace) {
    Optional<HttpEndpointSpec> spec = endpoints.apply(target.type());
    if (spec.isEmpty()) {
      result.completeExceptionally(
          new FunctionCallException(
              Kind.NO_ENDPOINT,
              false,
              0,
              target,
              "-",
              "no endpoint serves " + target.type(),
              null));
      return;
    }
    HttpEndpointSpec endpoint = spec.get();
    Endpoint client = clientFor(endpoint);
    Target requestTarget = client.target(endpoint, target.type());
    String url = requestTarget.url();
    byte[] body = request.toByteArray();
    int maxBytes = endpoint.transport().payloadMaxBytes();
    if (body.length > maxBytes) {
      result.completeExceptionally(
          new FunctionCallException(
              Kind.PAYLOAD_TOO_LARGE,
              false,
              0,
              target,
              url,
              "request of " + body.length + " bytes exceeds payload_max_bytes " + maxBytes,
              null));
      return;
    }
    Call call =
        new Call(
            target,
            requestTarget,
            endpoint,
            client,
            Buffer.buffer(body),
            System.nanoTime() + endpoint.transport().call().toNanos(),
            result,
            trace);
    onContext(call, result);
  }

  /**
   * The Vert.x context of each calling thread that is not a Vert.x thread (a stream thread). The
   * HTTP client called from such a thread makes a new context for every request and hands each step
   * (timer, connection, write) to an event loop on its own; a call started on a context of the
   * calling thread's own takes one hop to the event loop and runs there.
   */
  private final ThreadLocal<io.vertx.core.Context> contexts = new ThreadLocal<>();

  /** Starts {@code call}'s first attempt on a Vert.x context (the caller's, if it has one). */
  private void onContext(Call call, CompletableFuture<Reply> result) {
    if (Vertx.currentContext() != null) {
      call.attempt();
      return;
    }
    io.vertx.core.Context context = contexts.get();
    if (context == null) {
      context = vertx.getOrCreateContext();
      contexts.set(context);
    }
    context.runOnContext(
        v -> {
          try {
            call.attempt();
          } catch (RuntimeException e) {
            result.completeExceptionally(
                new FunctionCallException(
                    Kind.OTHER,
                    false,
                    0,
                    call.target,
                    call.url,
                    String.valueOf(e.getMessage()),
                    e));
          }
        });
  }

  private Endpoint clientFor(HttpEndpointSpec spec) {
    return clients.computeIfAbsent(spec, this::newClient);
  }

  private Endpoint newClient(HttpEndpointSpec spec) {
    HttpTransportSpec transport = spec.transport();
    HttpClientOptions options =
        new HttpClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, transport.connect().toMillis()))
            .setKeepAlive(true)
            .setKeepAliveTimeout((int) Math.max(1, transport.poolTtl().toSeconds()))
            // A connection silent for longer than any attempt may last while a request is on it
            // is dead: close it, so that an attempt abandoned by our guard does not keep it for
            // ever (Vert.x ignores idle connections without requests; keep-alive handles those).
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, transport.call().toMillis() + 1_000))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setTcpNoDelay(true);
    TlsSupport.configure(options, transport);
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(transport.poolSize());
    Map<String, String> headers = new LinkedHashMap<>();
    spec.headers().forEach((name, source) -> headers.put(name, resolve(name, source)));
    return new Endpoint(
        vertx.createHttpClient(options, pool),
        headers,
        Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>())),
        new ConcurrentHashMap<>());
  }

  private static String resolve(String header, HeaderSource source) {
    if (source instanceof HeaderSource.Literal literal) {
      return literal.value();
    }
    if (source instanceof HeaderSource.FromEnv env) {
      String value = System.getenv(env.variable());
      if (value == null) {
        throw new IllegalStateException(
            "header "
                + header
                + " reads environment variable "
                + env.variable()
                + ", which is not set");
      }
      return value;
    }
    HeaderSource.FromFile file = (HeaderSource.FromFile) source;
    try {
      return Files.readString(Path.of(file.path()), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new IllegalStateException(
          "header " + header + " reads file " + file.path() + ": " + e, e);
    }
  }

  /** One logical call: its attempts and its budget. */
  private final class Call {
    private final Address target;
    private final String url;
    private final RequestOptions template;
    private final HttpEndpointSpec spec;
    private final Endpoint endpoint;
    private final Buffer body;
    private final long deadlineNanos;
    private final CompletableFuture<Reply> result;
    private final CallTrace trace;

    /** Attempts made so far; written by whichever thread starts an attempt, one at a time. */
    private volatile int attempts;

    Call(
        Address target,
        Target requestTarget,
        HttpEndpointSpec spec,
        Endpoint endpoint,
        Buffer body,
        long deadlineNanos,
        CompletableFuture<Reply> result,
        CallTrace trace) {
      this.target = target;
      this.url = requestTarget.url();
      this.template = requestTarget.template();
      this.spec = spec;
      this.endpoint = endpoint;
      this.body = body;
      this.deadlineNanos = deadlineNanos;
      this.result = result;
      this.trace = trace;
    }

    private boolean retryForever() {
      return spec.onFailure() == HttpEndpointSpec.OnFailure.RETRY_FOREVER;
    }

    void attempt() {
      if (result.isDone()) {
        return; // cancelled: the task that made the call is gone
      }
      send(++attempts, false);
    }

    /**
     * Sends the request as attempt number {@code attempt}; {@code resent} when this is the free
     * second try after a stale pooled connection (see the class comment).
     */
    private void send(int attempt, boolean resent) {
      long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
      long timeoutMs =
          retryForever() ? spec.transport().call().toMillis() : Math.max(1, remainingMs);
      long start = System.nanoTime();
      // Set by whichever ends the attempt first: the HTTP client's outcome or the guard below.
      AtomicBoolean over = new AtomicBoolean();
      // Vert.x's request timeout does not bound an attempt: it is an idle timeout that ends once
      // the response head has arrived, so a response whose body never completes on a connection
      // that stays open would never report. Our own timer makes the attempt's timeout absolute.
      long guard =
          vertx.setTimer(
              timeoutMs + GUARD_GRACE_MS,
              id -> {
                if (!over.compareAndSet(false, true) || result.isDone()) {
                  return;
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                LOG.warn(
                    "Abandoning attempt {} of the call to {} at {}: no outcome from the HTTP client after "
                        + "{} ms (timeout {} ms), e.g. a response that never completed",
                    attempt,
                    target,
                    url,
                    ms,
                    timeoutMs);
                listener.attempt(target.type(), System.nanoTime() - start, false);
                retryOrFail(Kind.TIMEOUT, "no complete response within " + timeoutMs + " ms", null);
              });
      RequestOptions options = new RequestOptions(template).setTimeout(timeoutMs);
      String traceparent = trace == null ? null : trace.traceparent();
      if (traceparent != null) {
        options.putHeader("traceparent", traceparent);
      }
      Exchange exchange = new Exchange();
      HttpClientConnection[] own = {
        null
      }; // the new connection of a request sent again, closed after it
      Future<HttpClientRequest> requested;
      if (resent) {
        requested =
            endpoint
                .client()
                .connect(connectOptions(timeoutMs))
                .compose(
                    connection -> {
                      own[0] = connection;
                      return connection.request(options);
                    });
      } else {
        requested = endpoint.client().request(options);
      }
      requested
          .compose(
              request -> {
                exchange.reusedConnection = endpoint.reuses(request.connection());
                request.end(body).onSuccess(v -> exchange.written = true);
                return request.response();
              })
          .compose(
              response -> {
                exchange.responded = true;
                BodyStream<Buffer> stream;
                try {
                  stream = LimitedBodyCodec.of(spec.transport().payloadMaxBytes()).stream();
                } catch (Exception e) {
                  return Future.failedFuture(e);
                }
                return response
                    .pipeTo(stream)
                    .compose(v -> stream.result())
                    .map(
                        b ->
                            new Answer(
                                response.statusCode(), response.getHeader("Content-Type"), b));
              })
          .onComplete(
              ar -> {
                if (own[0] != null) {
                  own[0].close();
                }
                long nanos = System.nanoTime() - start;
                if (!over.compareAndSet(false, true)) {
                  return; // the guard already ended this attempt
                }
                vertx.cancelTimer(guard);
                if (result.isDone()) {
                  return;
                }
                if (ar.succeeded()) {
                  onResponse(ar.result(), nanos);
                  return;
                }
                Throwable cause = ar.cause();
                if (!resent && isStaleConnection(exchange, cause)) {
                  LOG.debug(
                      "Sending the call to {} at {} again: its {} connection closed before it was answered ({})",
                      target,
                      url,
                      exchange.reusedConnection ? "pooled" : "new",
                      cause.toString());
                  send(attempt, true);
                  return;
                }
                listener.attempt(target.type(), nanos, false);
                if (LimitedBodyCodec.isTooLarge(cause)) {
                  fail(
                      Kind.PAYLOAD_TOO_LARGE,
                      false,
                      "response exceeds payload_max_bytes " + spec.transport().payloadMaxBytes(),
                      null);
                  return;
                }
                Kind kind = classify(cause);
                retryOrFail(kind, String.valueOf(cause), cause);
              });
    }

    /** Where a new, unpooled connection for this call's URL goes. */
    private HttpConnectOptions connectOptions(long timeoutMs) {
      URI uri = URI.create(url);
      boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
      int port = uri.getPort() != -1 ? uri.getPort() : ssl ? 443 : 80;
      return new HttpConnectOptions()
          .setHost(uri.getHost())
          .setPort(port)
          .setSsl(ssl)
          .setConnectTimeout(Math.min(timeoutMs, spec.transport().connect().toMillis()));
    }

    private void onResponse(Answer response, long nanos) {
      int status = response.status();
      if (status / 100 == 2) {
        String contentType = response.contentType();
        Buffer payload = response.body();
        if (contentType != null
            && !contentType.startsWith(OCTET_STREAM)
            && payload != null
            && payload.length() > 0) {
          listener.attempt(target.type(), nanos, false);
          fail(
              Kind.WRONG_CONTENT_TYPE,
              false,
              "expected " + OCTET_STREAM + ", got " + contentType,
              null);
          return;
        }
        if (payload != null && payload.length() > spec.transport().payloadMaxBytes()) { // defensive
          listener.attempt(target.type(), nanos, false);
          fail(
              Kind.PAYLOAD_TOO_LARGE,
              false,
              "response of "
                  + payload.length()
                  + " bytes exceeds payload_max_bytes "
                  + spec.transport().payloadMaxBytes(),
              null);
          return;
        }
        FromFunction parsed;
        try {
          parsed =
              payload == null || payload.length() == 0
                  ? FromFunction.getDefaultInstance()
                  : FromFunction.parseFrom(payload.getBytes());
        } catch (InvalidProtocolBufferException e) {
          listener.attempt(target.type(), nanos, false);
          fail(
              Kind.MALFORMED_RESPONSE,
              false,
              "body is not a FromFunction message: " + e.getMessage(),
              e);
          return;
        }
        listener.attempt(target.type(), nanos, true);
        result.complete(new Reply(parsed, attempts));
        return;
      }
      listener.attempt(target.type(), nanos, false);
      String detail = "HTTP " + status + bodySnippet(response.body());
      if (status / 100 == 5 || status == 408 || status == 429) {
        retryOrFail(Kind.HTTP_5XX, detail, null);
      } else {
        fail(Kind.HTTP_4XX, false, detail, null);
      }
    }

    private void retryOrFail(Kind kind, String detail, Throwable cause) {
      long exp = backoff.initialBackoffMs() << Math.min(20, attempts - 1);
      long capped = Math.min(backoff.maxBackoffMs(), exp);
      long delayMs = Math.max(1, capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
      long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
      // An attempt needs a sensible share of the budget; one that could only time out would hide
      // the real failure (e.g. the 503s before it) behind a TIMEOUT.
      long minAttemptMs = Math.min(250, spec.transport().call().toMillis() / 4);
      if (!retryForever() && delayMs + minAttemptMs >= remainingMs) {
        fail(kind, true, detail, cause);
        return;
      }
      listener.retry(target.type(), kind);
      if (trace != null) {
        trace.retry(attempts, kind + ": " + detail);
      }
      if (attempts == 1 || attempts % 10 == 0) {
        LOG.warn(
            "Retrying call to {} at {} in {} ms (attempt {} failed: {} {})",
            target,
            url,
            delayMs,
            attempts,
            kind,
            detail);
      }
      if (!result.isDone()) {
        vertx.setTimer(delayMs, id -> attempt());
      }
    }

    private void fail(Kind kind, boolean retryable, String detail, Throwable cause) {
      result.completeExceptionally(
          new FunctionCallException(kind, retryable, attempts, target, url, detail, cause));
    }
  }

  /**
   * A request whose connection closed before any byte of the response arrived, and that went out on
   * a connection used before or never left at all: the server closed a stale pooled connection.
   */
  static boolean isStaleConnection(
      boolean reusedConnection, boolean written, boolean responded, Throwable cause) {
    return !responded && (reusedConnection || !written) && isConnectionClosed(cause);
  }

  private static boolean isStaleConnection(Exchange exchange, Throwable cause) {
    return isStaleConnection(
        exchange.reusedConnection, exchange.written, exchange.responded, cause);
  }

  /** The connection closed or was reset under the request. */
  static boolean isConnectionClosed(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof HttpClosedException
          || c instanceof ClosedChannelException
          || (c instanceof IOException
              && c.getMessage() != null
              && c.getMessage().contains("Connection reset"))) {
        return true;
      }
    }
    return false;
  }

  /** The kind of a failed attempt (no HTTP response), from its cause chain. */
  static Kind classify(Throwable cause) {
    if (isTls(cause)) {
      return Kind.TLS;
    }
    if (isTimeout(cause)) {
      return Kind.TIMEOUT;
    }
    return isConnect(cause) ? Kind.CONNECT : Kind.OTHER;
  }

  private static boolean isTls(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }

  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof TimeoutException
          || c.getClass().getSimpleName().contains("Timeout")
          || (c.getMessage() != null && c.getMessage().contains("timeout"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isConnect(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private static String bodySnippet(Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    String s = body.getString(0, Math.min(body.length(), 200), "UTF-8").replaceAll("\\s+", " ");
    return ": " + s;
  }

  @Override
  public void close() {
    clients.values().forEach(e -> e.client().close());
    clients.clear();
    if (ownsVertx) {
      vertx.close();
    }
  }
}
