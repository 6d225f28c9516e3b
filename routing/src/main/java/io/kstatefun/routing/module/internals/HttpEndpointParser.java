package io.kstatefun.routing.module.internals;

import io.kstatefun.routing.module.FunctionTarget;
import io.kstatefun.routing.module.HeaderSource;
import io.kstatefun.routing.module.HttpEndpointSpec;
import io.kstatefun.routing.module.HttpEndpointSpec.OnFailure;
import io.kstatefun.routing.module.HttpTransportSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** Parses {@code io.statefun.endpoints.v1/http} and {@code v2/http} specs. Not API. */
public final class HttpEndpointParser {

  /** The v1 kind. */
  public static final String V1_KIND = "io.statefun.endpoints.v1/http";

  /** The v2 kind. */
  public static final String V2_KIND = "io.statefun.endpoints.v2/http";

  private static final String URL_EXPECTED =
      "an http:// or https:// URL, optionally containing {function.name}, e.g."
          + " http://functions:8000/{function.name}";

  private static final Set<String> RESERVED_HEADERS =
      Set.of("content-type", "content-length", "host", "connection", "transfer-encoding");

  private static final Map<String, OnFailure> ON_FAILURE = choices(OnFailure.values());

  private HttpEndpointParser() {}

  /**
   * Parses an endpoint spec.
   *
   * @param specNode the {@code spec} node
   * @param v1 whether the kind is {@code io.statefun.endpoints.v1/http}
   * @return the spec
   */
  public static HttpEndpointSpec parse(SpecNode specNode, boolean v1) {
    SpecObject spec =
        specNode.object(
            "functions",
            "urlPathTemplate",
            "maxNumBatchRequests",
            v1 ? "timeouts" : "transport",
            "onFailure",
            "headers",
            "maxInFlight");

    SpecNode functionsNode =
        spec.required(
            "functions", "<namespace>/<name> or <namespace>/* (all functions of a namespace)");
    String functionsExpected = "<namespace>/<name> or <namespace>/*";
    FunctionTarget functions;
    try {
      functions = FunctionTarget.parse(functionsNode.nonEmptyText(functionsExpected));
    } catch (IllegalArgumentException e) {
      throw functionsNode.invalid(functionsExpected, e.getMessage());
    }
    if (FunctionTarget.RESERVED_NAMESPACE.equals(functions.namespace())) {
      throw functionsNode.invalid(
          functionsExpected,
          "the namespace '"
              + FunctionTarget.RESERVED_NAMESPACE
              + "' is reserved: the runtime gives HTTP API calls caller addresses in it, so no"
              + " endpoint may serve it");
    }

    String urlPathTemplate = urlPathTemplate(spec.required("urlPathTemplate", URL_EXPECTED));

    int maxNumBatchRequests =
        spec.optional("maxNumBatchRequests")
            .map(n -> n.intValue(1, Integer.MAX_VALUE))
            .orElse(HttpEndpointSpec.DEFAULT_MAX_NUM_BATCH_REQUESTS);

    HttpTransportSpec transport =
        v1
            ? v1Transport(spec.optional("timeouts"))
            : spec.optional("transport")
                .map(HttpEndpointParser::v2Transport)
                .orElseGet(HttpTransportSpec::defaults);

    OnFailure onFailure =
        spec.optional("onFailure")
            .map(n -> n.choice(ON_FAILURE, true))
            .orElse(OnFailure.DEAD_LETTER);

    Map<String, HeaderSource> headers =
        spec.optional("headers").map(HttpEndpointParser::headers).orElse(Map.of());

    OptionalInt maxInFlight =
        spec.optional("maxInFlight")
            .map(n -> OptionalInt.of(n.intValue(1, Integer.MAX_VALUE)))
            .orElse(OptionalInt.empty());

    return new HttpEndpointSpec(
        functions,
        urlPathTemplate,
        maxNumBatchRequests,
        transport,
        onFailure,
        headers,
        maxInFlight,
        specNode.context().origin());
  }

  private static String urlPathTemplate(SpecNode node) {
    String template = node.nonEmptyText(URL_EXPECTED);
    URI sample;
    try {
      sample = new URI(template.replace(HttpEndpointSpec.FUNCTION_NAME_PLACEHOLDER, "fn"));
    } catch (URISyntaxException e) {
      throw node.invalid(URL_EXPECTED, "not a valid URL: " + e.getReason());
    }
    String scheme = sample.getScheme() == null ? "" : sample.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.endsWith("+unix")) {
      throw node.invalid(URL_EXPECTED, "UNIX domain sockets are not supported by kstatefun");
    }
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw node.invalid(URL_EXPECTED, "the scheme must be http or https");
    }
    if (sample.getRawAuthority() == null || sample.getRawAuthority().isEmpty()) {
      throw node.invalid(URL_EXPECTED, "the URL has no host");
    }
    return template;
  }

  private static HttpTransportSpec v1Transport(Optional<SpecNode> timeoutsNode) {
    Optional<SpecObject> timeouts =
        timeoutsNode.map(n -> n.object("call", "connect", "read", "write"));
    Duration call = timeout(timeouts, "call").orElse(HttpTransportSpec.DEFAULT_TIMEOUTS_CALL);
    Duration connect =
        timeout(timeouts, "connect")
            .orElse(atMost(HttpTransportSpec.DEFAULT_TIMEOUTS_CONNECT, call));
    Duration read =
        timeout(timeouts, "read")
            .orElse(atMost(HttpTransportSpec.DEFAULT_TIMEOUTS_READ_WRITE, call));
    Duration write =
        timeout(timeouts, "write")
            .orElse(atMost(HttpTransportSpec.DEFAULT_TIMEOUTS_READ_WRITE, call));
    timeouts.ifPresent(t -> requireWithinCall(t, call, "connect", "read", "write"));
    HttpTransportSpec defaults = HttpTransportSpec.defaults();
    return new HttpTransportSpec(
        Optional.of(HttpTransportSpec.OKHTTP_TYPE),
        call,
        connect,
        Optional.of(read),
        Optional.of(write),
        defaults.poolTtl(),
        defaults.poolSize(),
        defaults.payloadMaxBytes(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  private static HttpTransportSpec v2Transport(SpecNode node) {
    SpecObject transport =
        node.object(
            "type",
            "call",
            "connect",
            "pool_ttl",
            "pool_size",
            "payload_max_bytes",
            "trust_cacerts",
            "client_cert",
            "client_key",
            "client_key_password",
            "timeouts");
    Map<String, String> types = new LinkedHashMap<>();
    types.put(HttpTransportSpec.ASYNC_TYPE, HttpTransportSpec.ASYNC_TYPE);
    types.put(HttpTransportSpec.OKHTTP_TYPE, HttpTransportSpec.OKHTTP_TYPE);
    Optional<String> type = transport.optional("type").map(n -> n.choice(types, true));
    boolean okhttp = type.filter(HttpTransportSpec.OKHTTP_TYPE::equals).isPresent();

    Optional<SpecObject> timeouts =
        transport.optional("timeouts").map(n -> n.object("call", "connect", "read", "write"));
    // StateFun: a timeouts block (or the OkHttp transport) brings the OkHttp defaults.
    boolean okhttpDefaults = okhttp || timeouts.isPresent();

    Duration call =
        flatOrNested(transport, timeouts, "call")
            .orElse(
                okhttpDefaults
                    ? HttpTransportSpec.DEFAULT_TIMEOUTS_CALL
                    : HttpTransportSpec.DEFAULT_CALL);
    Duration connect =
        flatOrNested(transport, timeouts, "connect")
            .orElse(
                atMost(
                    okhttpDefaults
                        ? HttpTransportSpec.DEFAULT_TIMEOUTS_CONNECT
                        : HttpTransportSpec.DEFAULT_CONNECT,
                    call));
    Optional<Duration> read = timeout(timeouts, "read");
    Optional<Duration> write = timeout(timeouts, "write");
    if (okhttp) {
      Duration readWriteDefault = atMost(HttpTransportSpec.DEFAULT_TIMEOUTS_READ_WRITE, call);
      read = read.or(() -> Optional.of(readWriteDefault));
      write = write.or(() -> Optional.of(readWriteDefault));
      timeouts.ifPresent(t -> requireWithinCall(t, call, "connect", "read", "write"));
    }

    return new HttpTransportSpec(
        type,
        call,
        connect,
        read,
        write,
        transport
            .optional("pool_ttl")
            .map(SpecNode::duration)
            .orElse(HttpTransportSpec.DEFAULT_POOL_TTL),
        transport
            .optional("pool_size")
            .map(n -> n.intValue(1, Integer.MAX_VALUE))
            .orElse(HttpTransportSpec.DEFAULT_POOL_SIZE),
        transport
            .optional("payload_max_bytes")
            .map(n -> n.intValue(1, Integer.MAX_VALUE))
            .orElse(HttpTransportSpec.DEFAULT_PAYLOAD_MAX_BYTES),
        location(transport, "trust_cacerts"),
        location(transport, "client_cert"),
        location(transport, "client_key"),
        location(transport, "client_key_password"));
  }

  private static Optional<Duration> flatOrNested(
      SpecObject transport, Optional<SpecObject> timeouts, String key) {
    Optional<SpecNode> flat = transport.optional(key);
    Optional<SpecNode> nested = timeouts.flatMap(t -> t.optional(key));
    if (flat.isPresent() && nested.isPresent()) {
      throw nested
          .get()
          .error(
              "conflicts with "
                  + flat.get().path()
                  + "; set the "
                  + key
                  + " timeout in one place only");
    }
    return flat.or(() -> nested).map(SpecNode::positiveDuration);
  }

  private static Optional<Duration> timeout(Optional<SpecObject> timeouts, String key) {
    return timeouts.flatMap(t -> t.optional(key)).map(SpecNode::positiveDuration);
  }

  private static void requireWithinCall(SpecObject timeouts, Duration call, String... keys) {
    for (String key : keys) {
      Optional<SpecNode> node = timeouts.optional(key);
      if (node.isPresent() && node.get().positiveDuration().compareTo(call) > 0) {
        throw node.get().invalid("a duration not larger than the call timeout (" + call + ")");
      }
    }
  }

  /** Defaults never exceed the call budget (StateFun rejected such combinations instead). */
  private static Duration atMost(Duration defaultValue, Duration call) {
    return defaultValue.compareTo(call) > 0 ? call : defaultValue;
  }

  private static Optional<String> location(SpecObject transport, String key) {
    return transport.optional(key).map(n -> n.nonEmptyText("a file path or classpath: location"));
  }

  private static Map<String, HeaderSource> headers(SpecNode node) {
    if (!node.json().isObject()) {
      throw node.invalid(
          "a map of header names to {env: VARIABLE}, {file: path} or {value: literal}");
    }
    Map<String, HeaderSource> headers = new LinkedHashMap<>();
    Map<String, String> lowerCaseNames = new HashMap<>();
    for (Iterator<String> it = node.json().fieldNames(); it.hasNext(); ) {
      String name = it.next();
      SpecNode source =
          new SpecNode(node.context(), node.json().get(name), node.path() + "." + name);
      if (!isToken(name)) {
        throw source.error("'" + name + "' is not a valid HTTP header name");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (RESERVED_HEADERS.contains(lower)) {
        throw source.error("header '" + name + "' is set by the runtime and cannot be configured");
      }
      String previous = lowerCaseNames.putIfAbsent(lower, name);
      if (previous != null) {
        throw source.error(
            "header '"
                + name
                + "' is already configured as '"
                + previous
                + "' (header names are case-insensitive)");
      }
      headers.put(name, headerSource(source));
    }
    return headers;
  }

  private static HeaderSource headerSource(SpecNode node) {
    String expected = "exactly one of {env: VARIABLE}, {file: path} or {value: literal}";
    if (!node.json().isObject() || node.json().size() != 1) {
      throw node.error("invalid header source; expected " + expected);
    }
    SpecObject source = node.object("env", "file", "value");
    if (source.has("env")) {
      return new HeaderSource.FromEnv(
          source
              .required("env", "an environment variable name")
              .nonEmptyText("an environment variable name"));
    }
    if (source.has("file")) {
      return new HeaderSource.FromFile(
          source.required("file", "a file path").nonEmptyText("a file path"));
    }
    SpecNode value = source.required("value", "a header value");
    if (!(value.json().isTextual() || value.json().isNumber() || value.json().isBoolean())) {
      // Do not render the value: it may be a credential.
      throw value.error("invalid header value; expected a string");
    }
    String text = value.json().asText();
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
      throw value.error("invalid header value; it must not contain line breaks");
    }
    return new HeaderSource.Literal(text);
  }

  private static boolean isToken(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, OnFailure> choices(OnFailure[] values) {
    Map<String, OnFailure> choices = new LinkedHashMap<>();
    for (OnFailure value : values) {
      choices.put(value.yamlName(), value);
    }
    return choices;
  }
}
