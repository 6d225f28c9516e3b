package io.kstatefun.runtime.internals.api;

import io.kstatefun.routing.FunctionType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Metrics of the HTTP API, recorded by {@link ApiServer} when a response ends:
 *
 * <ul>
 *   <li>{@code kstatefun_api_requests_seconds} (timer: count, sum, histogram buckets) tagged {@code
 *       route} (call, send, state, debug, invocations, other), {@code function_type} (the type in
 *       the path when the module has it, {@code unknown} for other types, {@code none} for routes
 *       without one) and {@code status} (2xx, 4xx, ...);
 *   <li>{@code kstatefun_api_rejected_total} (counter) of responses with status 400 or more, tagged
 *       {@code route} and {@code reason}: the {@code Kstatefun-Error} header of the response, or
 *       one derived from its status.
 * </ul>
 *
 * <p>Tags come only from known values, so a client cannot blow up the number of series.
 *
 * <p>Threading: any thread (Micrometer meters are thread-safe).
 */
public final class ApiMetrics {

  /** Routes whose second and third path segments are a function type. */
  private static final List<String> TYPED_ROUTES = List.of("call", "send", "state", "debug");

  private static final List<String> ROUTES =
      List.of("call", "send", "state", "debug", "invocations");

  private final MeterRegistry registry;
  private final Predicate<FunctionType> knownType;

  public ApiMetrics(MeterRegistry registry, Predicate<FunctionType> knownType) {
    this.registry = registry;
    this.knownType = knownType;
  }

  /** The route and function type tags of a request path. */
  public record RouteTags(String route, String functionType) {}

  /** Derives the route and function type of {@code path} (e.g. {@code /state/ns/type/id}). */
  public RouteTags classify(String path) {
    String[] parts = path.startsWith("/") ? path.substring(1).split("/", 4) : path.split("/", 4);
    String route = parts.length > 0 && ROUTES.contains(parts[0]) ? parts[0] : "other";
    String type = "none";
    if (TYPED_ROUTES.contains(route) && parts.length >= 3) {
      type = "unknown";
      try {
        FunctionType t = new FunctionType(ApiPaths.decode(parts[1]), ApiPaths.decode(parts[2]));
        if (knownType.test(t)) {
          type = t.toString();
        }
      } catch (RuntimeException e) {
        // a malformed type stays "unknown"
      }
    }
    return new RouteTags(route, type);
  }

  /** Records one answered request. */
  public void request(RouteTags tags, int status, long nanos) {
    Timer.builder("kstatefun.api.requests")
        .description("HTTP API requests, by route, function type and status class")
        .tag("route", tags.route())
        .tag("function_type", tags.functionType())
        .tag("status", (status / 100) + "xx")
        .serviceLevelObjectives(
            Duration.ofMillis(1),
            Duration.ofMillis(5),
            Duration.ofMillis(15),
            Duration.ofMillis(50),
            Duration.ofMillis(100),
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(30))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a rejected request. */
  public void rejected(RouteTags tags, String reason) {
    Counter.builder("kstatefun.api.rejected")
        .description("HTTP API requests answered with an error status, by route and reason")
        .tag("route", tags.route())
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /** The reason tag of a response with {@code status} that names none. */
  static String reasonOf(int status) {
    return switch (status) {
      case 400 -> "bad-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 408 -> "timeout";
      case 409 -> "conflict";
      case 413 -> "too-large";
      case 422 -> "unprocessable";
      case 429 -> "too-many-requests";
      case 502 -> "bad-gateway";
      case 503 -> "unavailable";
      case 504 -> "gateway-timeout";
      default -> status >= 500 ? "server-error" : "client-error";
    };
  }
}
