package io.kstatefun.runtime.internals.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API listener of a runtime instance ({@code kstatefun.api.port}). It binds before Kafka
 * Streams starts, so that its port can be advertised as {@code application.server} (other instances
 * proxy to it); until the routes are installed it answers 503 with {@code Retry-After}.
 *
 * <p>Threading: requests are served on a Vert.x event loop; {@link #install} is called once by the
 * thread that starts the runtime.
 */
public final class ApiServer implements AutoCloseable {

  private final HttpServer server;
  private volatile List<ApiRoutes> routes = List.of();
  private volatile boolean installed;

  private ApiServer(HttpServer server) {
    this.server = server;
  }

  /** Binds the listener on {@code host:port} (0 picks a free port). */
  public static ApiServer listen(Vertx vertx, String host, int port) {
    ApiServer[] self = new ApiServer[1];
    HttpServer server = vertx.createHttpServer().requestHandler(r -> self[0].handle(r));
    self[0] = new ApiServer(server);
    try {
      server.listen(port, host).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the HTTP API on port " + port, e);
    }
    return self[0];
  }

  /** Starts answering requests with these route groups, offered in order. */
  public void install(List<ApiRoutes> groups) {
    this.routes = List.copyOf(groups);
    this.installed = true;
  }

  /** The bound port. */
  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    if (!installed) {
      request
          .response()
          .setStatusCode(503)
          .putHeader("Retry-After", "1")
          .putHeader("Content-Type", "text/plain; charset=utf-8")
          .end("kstatefun is starting\n");
      return;
    }
    for (ApiRoutes group : routes) {
      if (group.handle(request)) {
        return;
      }
    }
    request
        .response()
        .setStatusCode(404)
        .putHeader("Content-Type", "text/plain; charset=utf-8")
        .end("No such API route: " + request.method() + " " + request.path() + "\n");
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
