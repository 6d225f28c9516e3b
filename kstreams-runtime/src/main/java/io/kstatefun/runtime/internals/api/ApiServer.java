package io.kstatefun.runtime.internals.api;

import io.kstatefun.runtime.internals.failover.PeerEndpoint;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The HTTP API listener of a runtime instance ({@code kstatefun.api.port}). It binds before Kafka
 * Streams starts, so that its port can be advertised as {@code application.server} (other instances
 * proxy to it).
 *
 * <p>What it does for every route group:
 *
 * <ol>
 *   <li>checks the bearer token ({@link ApiSecurity}; TLS and client certificates are checked by
 *       the listener itself): 401 without it;
 *   <li>answers 503 with {@code Retry-After} until the routes are installed and while the instance
 *       cannot serve (starting, or stopping: see {@code Readiness});
 *   <li>offers the request to the route groups in order; 404 when none takes it;
 *   <li>when the response ends, records {@link ApiMetrics}: the request's latency by route,
 *       function type and status class, and every response with status 400 or more as rejected,
 *       with the reason the route named in the {@value #ERROR_HEADER} response header (a short
 *       fixed token such as {@code partition-unavailable}) or one derived from the status.
 * </ol>
 *
 * <p>Threading: requests are served on a Vert.x event loop; {@link #install} is called once by the
 * thread that starts the runtime.
 */
public final class ApiServer implements AutoCloseable {

  /** Response header naming why a request was rejected; also the reason tag of the metric. */
  public static final String ERROR_HEADER = "Kstatefun-Error";

  private final HttpServer server;
  private final ApiSecurity security;
  private final ApiMetrics metrics;
  private volatile List<ApiRoutes> routes = List.of();
  private volatile BooleanSupplier canServe = () -> false;
  private volatile boolean installed;
  private volatile PeerEndpoint peer;

  private ApiServer(HttpServer server, ApiSecurity security, ApiMetrics metrics) {
    this.server = server;
    this.security = security;
    this.metrics = metrics;
  }

  /** Binds a plain listener without token or metrics (tests). */
  public static ApiServer listen(Vertx vertx, String host, int port) {
    return listen(
        vertx,
        host,
        port,
        ApiSecurity.NONE,
        new ApiMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), t -> true));
  }

  /** Binds the listener on {@code host:port} (0 picks a free port). */
  public static ApiServer listen(
      Vertx vertx, String host, int port, ApiSecurity security, ApiMetrics metrics) {
    ApiServer[] self = new ApiServer[1];
    HttpServer server =
        vertx
            .createHttpServer(security.configure(new HttpServerOptions()))
            .requestHandler(r -> self[0].handle(r));
    self[0] = new ApiServer(server, security, metrics);
    try {
      server.listen(port, host).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the HTTP API on port " + port, e);
    }
    return self[0];
  }

  /** Starts answering requests with these route groups, offered in order; always serving. */
  public void install(List<ApiRoutes> groups) {
    install(groups, () -> true);
  }

  /**
   * Starts answering requests with these route groups, offered in order, while {@code canServe}
   * holds (otherwise 503 with {@code Retry-After}).
   */
  public void install(List<ApiRoutes> groups, BooleanSupplier canServe) {
    this.routes = List.copyOf(groups);
    this.canServe = canServe;
    this.installed = true;
  }

  /**
   * Serves the fail-over probe path ({@link PeerEndpoint#PATH}) on this listener, ahead of the
   * token check and readiness: when the API's address is the advertised {@code application.server},
   * the other instances probe it to tell a dead instance from a live one. The probe answer carries
   * the instance's identity (process id, group instance id), as on the admin port.
   */
  public void servePeerProbes(PeerEndpoint endpoint) {
    this.peer = endpoint;
  }

  /** The bound port. */
  public int port() {
    return server.actualPort();
  }

  /** The listener's security settings. */
  public ApiSecurity security() {
    return security;
  }

  private void handle(HttpServerRequest request) {
    PeerEndpoint probes = peer;
    if (probes != null && PeerEndpoint.PATH.equals(request.path())) {
      probes.handle(request);
      return;
    }
    long start = System.nanoTime();
    ApiMetrics.RouteTags tags = metrics.classify(request.path());
    HttpServerResponse response = request.response();
    response.endHandler(
        v -> {
          int status = response.getStatusCode();
          metrics.request(tags, status, System.nanoTime() - start);
          if (status >= 400) {
            metrics.rejected(tags, reason(response.headers().get(ERROR_HEADER), status));
          }
        });
    if (!security.authorized(request)) {
      response
          .setStatusCode(401)
          .putHeader("WWW-Authenticate", "Bearer")
          .putHeader(ERROR_HEADER, "unauthorized")
          .putHeader("Content-Type", "text/plain; charset=utf-8")
          .end("A valid 'Authorization: Bearer <token>' header is required\n");
      return;
    }
    if (!installed || !canServe.getAsBoolean()) {
      response
          .setStatusCode(503)
          .putHeader("Retry-After", "1")
          .putHeader(ERROR_HEADER, installed ? "not-ready" : "starting")
          .putHeader("Content-Type", "text/plain; charset=utf-8")
          .end(
              installed
                  ? "kstatefun cannot serve now (starting or stopping)\n"
                  : "kstatefun is starting\n");
      return;
    }
    for (ApiRoutes group : routes) {
      if (group.handle(request)) {
        return;
      }
    }
    response
        .setStatusCode(404)
        .putHeader(ERROR_HEADER, "no-route")
        .putHeader("Content-Type", "text/plain; charset=utf-8")
        .end("No such API route: " + request.method() + " " + request.path() + "\n");
  }

  /** The reason tag: the route's token when it is one, else one derived from the status. */
  static String reason(String header, int status) {
    if (header != null && header.length() <= 40 && header.matches("[a-z0-9-]+")) {
      return header;
    }
    return ApiMetrics.reasonOf(status);
  }

  @Override
  public void close() {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
  }
}
