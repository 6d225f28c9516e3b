package io.kstatefun.routing.module;

import io.kstatefun.routing.FunctionType;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * An HTTP function endpoint: the components {@code io.statefun.endpoints.v2/http} and {@code
 * io.statefun.endpoints.v1/http} (and the legacy 3.0 {@code http} endpoint).
 *
 * <p>StateFun keys: {@code functions}, {@code urlPathTemplate}, {@code maxNumBatchRequests}, and
 * {@code transport} (v2) or {@code timeouts} (v1), see {@link HttpTransportSpec}.
 *
 * <p>kstatefun extensions, accepted in {@code spec} of both versions:
 *
 * <table>
 *   <caption>kstatefun extensions of HTTP endpoint specs</caption>
 *   <tr><th>Key</th><th>Values</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code onFailure}</td><td>{@code dead-letter} | {@code retry-forever}</td>
 *       <td>{@code dead-letter}</td>
 *       <td>What happens to a batch whose call still fails when the {@code call} budget is spent:
 *       its messages go to the dead-letter topic, or the address keeps retrying (with backoff)
 *       without ever giving up. Other addresses are never stalled either way.</td></tr>
 *   <tr><td>{@code headers}</td><td>map of header name to {@code {env: VAR}},
 *       {@code {file: path}} or {@code {value: literal}}</td><td>none</td>
 *       <td>Static request headers, e.g. {@code Authorization}. Sources are resolved by the
 *       runtime, not by the parser. {@code Content-Type}, {@code Content-Length}, {@code Host},
 *       {@code Connection} and {@code Transfer-Encoding} are reserved.</td></tr>
 *   <tr><td>{@code maxInFlight}</td><td>integer &ge; 1</td><td>unbounded</td>
 *       <td>The maximum number of concurrent requests to this endpoint (across addresses).</td>
 *       </tr>
 * </table>
 *
 * @param functions the function types served by this endpoint
 * @param urlPathTemplate the endpoint URL; {@code {function.name}} is replaced by the function
 *     type's name
 * @param maxNumBatchRequests the per-address backlog after which the runtime back-pressures
 * @param transport the transport settings
 * @param onFailure what to do when a call fails for good (extension)
 * @param headers static request headers in declaration order (extension)
 * @param maxInFlight the maximum number of concurrent requests, if bounded (extension)
 * @param origin where the spec was declared, e.g. {@code module.yaml, document 2}
 */
public record HttpEndpointSpec(
    FunctionTarget functions,
    String urlPathTemplate,
    int maxNumBatchRequests,
    HttpTransportSpec transport,
    OnFailure onFailure,
    Map<String, HeaderSource> headers,
    OptionalInt maxInFlight,
    String origin) {

  /** The placeholder in {@link #urlPathTemplate()} replaced by the function type's name. */
  public static final String FUNCTION_NAME_PLACEHOLDER = "{function.name}";

  /** StateFun's default {@code maxNumBatchRequests}. */
  public static final int DEFAULT_MAX_NUM_BATCH_REQUESTS = 1000;

  /** What to do with a batch whose call failed for good (the {@code onFailure} extension). */
  public enum OnFailure {
    /** Send the batch's messages to the dead-letter topic and continue with the next batch. */
    DEAD_LETTER("dead-letter"),
    /** Keep retrying the batch with backoff; the address makes no progress until it succeeds. */
    RETRY_FOREVER("retry-forever");

    private final String yamlName;

    OnFailure(String yamlName) {
      this.yamlName = yamlName;
    }

    /** Returns the value as written in module files. */
    public String yamlName() {
      return yamlName;
    }
  }

  /** Validates the spec and makes it immutable. */
  public HttpEndpointSpec {
    Objects.requireNonNull(functions, "functions");
    Objects.requireNonNull(urlPathTemplate, "urlPathTemplate");
    if (maxNumBatchRequests <= 0) {
      throw new IllegalArgumentException("maxNumBatchRequests must be positive");
    }
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(onFailure, "onFailure");
    headers = Specs.immutableOrderedMap(headers, "headers");
    Objects.requireNonNull(maxInFlight, "maxInFlight");
    if (maxInFlight.isPresent() && maxInFlight.getAsInt() <= 0) {
      throw new IllegalArgumentException("maxInFlight must be positive");
    }
    Objects.requireNonNull(origin, "origin");
  }

  /**
   * Returns the URL of a function type: the template with {@code {function.name}} replaced by the
   * type's name (not its namespace).
   *
   * @param type the function type
   * @return the URL
   * @throws IllegalArgumentException if this endpoint does not serve the type, or the name makes
   *     the URL invalid
   */
  public URI urlFor(FunctionType type) {
    if (!functions.matches(type)) {
      throw new IllegalArgumentException(
          "The endpoint for " + functions + " (" + origin + ") does not serve " + type);
    }
    return URI.create(urlPathTemplate.replace(FUNCTION_NAME_PLACEHOLDER, type.name()));
  }
}
