package io.kstatefun.routing.module;

import io.kstatefun.routing.FunctionType;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the HTTP endpoint of a function type. An exact binding ({@code com.example/greeter}) wins
 * over a namespace binding ({@code com.example/*}). Two exact bindings of one type, or two
 * namespace bindings of one namespace, are rejected when the router is built.
 *
 * <p>Immutable apart from an internal cache of URLs; safe to share between threads.
 */
public final class EndpointRouter {

  private static final int MAX_CACHED_URLS = 10_000;

  private final List<HttpEndpointSpec> endpoints;
  private final Map<FunctionType, HttpEndpointSpec> exact;
  private final Map<String, HttpEndpointSpec> byNamespace;
  private final Map<FunctionType, URI> urls = new ConcurrentHashMap<>();

  private EndpointRouter(
      List<HttpEndpointSpec> endpoints,
      Map<FunctionType, HttpEndpointSpec> exact,
      Map<String, HttpEndpointSpec> byNamespace) {
    this.endpoints = endpoints;
    this.exact = exact;
    this.byNamespace = byNamespace;
  }

  /**
   * Builds a router.
   *
   * @param endpoints the endpoint specs
   * @return the router
   * @throws ModuleConfigException if two endpoints bind the same function type or namespace
   */
  public static EndpointRouter of(List<HttpEndpointSpec> endpoints) {
    List<HttpEndpointSpec> copy = List.copyOf(endpoints);
    Map<FunctionType, HttpEndpointSpec> exact = new HashMap<>();
    Map<String, HttpEndpointSpec> byNamespace = new HashMap<>();
    for (HttpEndpointSpec endpoint : copy) {
      HttpEndpointSpec previous;
      if (endpoint.functions() instanceof FunctionTarget.Exact target) {
        previous = exact.putIfAbsent(target.type(), endpoint);
      } else {
        FunctionTarget.Namespace target = (FunctionTarget.Namespace) endpoint.functions();
        previous = byNamespace.putIfAbsent(target.namespace(), endpoint);
      }
      if (previous != null) {
        throw new ModuleConfigException(
            "Conflicting endpoints: '"
                + endpoint.functions()
                + "' is bound by both "
                + previous.origin()
                + " and "
                + endpoint.origin()
                + "; each function type and each namespace wildcard may be bound only once");
      }
    }
    return new EndpointRouter(copy, Map.copyOf(exact), Map.copyOf(byNamespace));
  }

  /** Returns all endpoints, in declaration order. */
  public List<HttpEndpointSpec> endpoints() {
    return endpoints;
  }

  /**
   * Returns the endpoint that serves a function type: its exact binding if there is one, else the
   * binding of its namespace.
   *
   * @param type the function type
   * @return the endpoint, or empty if no endpoint serves the type
   */
  public Optional<HttpEndpointSpec> endpointFor(FunctionType type) {
    Objects.requireNonNull(type, "type");
    HttpEndpointSpec endpoint = exact.get(type);
    if (endpoint == null) {
      endpoint = byNamespace.get(type.namespace());
    }
    return Optional.ofNullable(endpoint);
  }

  /**
   * Returns the URL to invoke a function type at.
   *
   * @param type the function type
   * @return the endpoint's URL template with {@code {function.name}} replaced by the type's name
   * @throws IllegalArgumentException if no endpoint serves the type, or the resulting URL is
   *     invalid
   */
  public URI urlFor(FunctionType type) {
    URI url = urls.get(type);
    if (url != null) {
      return url;
    }
    HttpEndpointSpec endpoint =
        endpointFor(type)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "No endpoint serves function type "
                            + type
                            + "; declare an io.statefun.endpoints.v2/http component with"
                            + " functions '"
                            + type
                            + "' or '"
                            + type.namespace()
                            + "/*'"));
    url = endpoint.urlFor(type);
    if (urls.size() < MAX_CACHED_URLS) {
      urls.put(type, url);
    }
    return url;
  }
}
