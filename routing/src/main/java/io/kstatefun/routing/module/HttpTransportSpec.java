package io.kstatefun.routing.module;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Transport settings of an HTTP endpoint: {@code spec.transport} of {@code
 * io.statefun.endpoints.v2/http}, or {@code spec.timeouts} of {@code
 * io.statefun.endpoints.v1/http}.
 *
 * <p>Defaults follow StateFun 3.3.0, which had two transports with different defaults:
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>Setting</th><th>v2, asynchronous transport (default type)</th>
 *       <th>v1, or v2 with type {@value #OKHTTP_TYPE} or a {@code timeouts} block</th></tr>
 *   <tr><td>{@code call}</td><td>2 minutes</td><td>1 minute</td></tr>
 *   <tr><td>{@code connect}</td><td>20 seconds</td><td>10 seconds</td></tr>
 *   <tr><td>{@code read}, {@code write}</td><td>none</td>
 *       <td>10 seconds (only with type okhttp or v1)</td></tr>
 *   <tr><td>{@code pool_ttl}</td><td colspan="2">15 seconds</td></tr>
 *   <tr><td>{@code pool_size}</td><td colspan="2">1024</td></tr>
 *   <tr><td>{@code payload_max_bytes}</td><td colspan="2">32 MiB</td></tr>
 * </table>
 *
 * <p>kstatefun has a single HTTP client; it honours every setting regardless of {@link #type()}.
 *
 * @param type the transport type: as declared in a v2 {@code transport} block ({@value #ASYNC_TYPE}
 *     or {@value #OKHTTP_TYPE}), {@value #OKHTTP_TYPE} for v1, empty if not declared
 * @param call the total budget of one call, including retries and backoff
 * @param connect the budget of one TCP connection attempt
 * @param read the read timeout of one attempt, if any
 * @param write the write timeout of one attempt, if any
 * @param poolTtl how long a pooled connection lives; zero disables the limit
 * @param poolSize the maximum number of pooled connections
 * @param payloadMaxBytes the maximum size of a request or response body
 * @param trustCaCerts trusted CA certificates (PEM), as a path or {@code classpath:} location
 * @param clientCert the client certificate for mutual TLS, as a path or {@code classpath:} location
 * @param clientKey the PKCS#8 client key for mutual TLS, as a path or {@code classpath:} location
 * @param clientKeyPassword the location of a file holding the client key password
 */
public record HttpTransportSpec(
    Optional<String> type,
    Duration call,
    Duration connect,
    Optional<Duration> read,
    Optional<Duration> write,
    Duration poolTtl,
    int poolSize,
    int payloadMaxBytes,
    Optional<String> trustCaCerts,
    Optional<String> clientCert,
    Optional<String> clientKey,
    Optional<String> clientKeyPassword) {

  /** StateFun's asynchronous (Netty) transport, the default of v2 endpoints. */
  public static final String ASYNC_TYPE = "io.statefun.transports.v1/async";

  /** StateFun's OkHttp transport, used by v1 endpoints. */
  public static final String OKHTTP_TYPE = "io.statefun.transports.v1/okhttp";

  /** Default call budget of the asynchronous transport. */
  public static final Duration DEFAULT_CALL = Duration.ofMinutes(2);

  /** Default connect timeout of the asynchronous transport. */
  public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(20);

  /** Default call budget of v1 endpoints, the OkHttp transport and {@code timeouts} blocks. */
  public static final Duration DEFAULT_TIMEOUTS_CALL = Duration.ofMinutes(1);

  /** Default connect timeout of v1 endpoints, the OkHttp transport and {@code timeouts} blocks. */
  public static final Duration DEFAULT_TIMEOUTS_CONNECT = Duration.ofSeconds(10);

  /** Default read and write timeouts of v1 endpoints and the OkHttp transport. */
  public static final Duration DEFAULT_TIMEOUTS_READ_WRITE = Duration.ofSeconds(10);

  /** Default time to live of a pooled connection. */
  public static final Duration DEFAULT_POOL_TTL = Duration.ofSeconds(15);

  /** Default maximum number of pooled connections. */
  public static final int DEFAULT_POOL_SIZE = 1024;

  /** Default maximum size of a request or response body: 32 MiB. */
  public static final int DEFAULT_PAYLOAD_MAX_BYTES = 32 * 1024 * 1024;

  /** Validates the settings. */
  public HttpTransportSpec {
    Objects.requireNonNull(type, "type");
    requirePositive(call, "call");
    requirePositive(connect, "connect");
    Objects.requireNonNull(read, "read").ifPresent(d -> requirePositive(d, "read"));
    Objects.requireNonNull(write, "write").ifPresent(d -> requirePositive(d, "write"));
    Objects.requireNonNull(poolTtl, "poolTtl");
    if (poolTtl.isNegative()) {
      throw new IllegalArgumentException("poolTtl must not be negative");
    }
    if (poolSize <= 0) {
      throw new IllegalArgumentException("poolSize must be positive");
    }
    if (payloadMaxBytes <= 0) {
      throw new IllegalArgumentException("payloadMaxBytes must be positive");
    }
    Objects.requireNonNull(trustCaCerts, "trustCaCerts");
    Objects.requireNonNull(clientCert, "clientCert");
    Objects.requireNonNull(clientKey, "clientKey");
    Objects.requireNonNull(clientKeyPassword, "clientKeyPassword");
  }

  /** Returns the settings of a v2 endpoint without a {@code transport} block. */
  public static HttpTransportSpec defaults() {
    return new HttpTransportSpec(
        Optional.empty(),
        DEFAULT_CALL,
        DEFAULT_CONNECT,
        Optional.empty(),
        Optional.empty(),
        DEFAULT_POOL_TTL,
        DEFAULT_POOL_SIZE,
        DEFAULT_PAYLOAD_MAX_BYTES,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  private static void requirePositive(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive");
    }
  }
}
