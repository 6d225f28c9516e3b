package io.kstatefun.runtime.internals.api;

import io.vertx.core.http.HttpServerRequest;

/**
 * One group of HTTP API routes (calls, state queries...). The {@link ApiServer} offers every
 * request to its groups in order; the first that takes it answers it.
 *
 * <p>Threading: called on a Vert.x event loop; must not block.
 */
public interface ApiRoutes {

  /**
   * Answers {@code request} and returns true when its path belongs to this group, else returns
   * false without touching the request.
   */
  boolean handle(HttpServerRequest request);
}
