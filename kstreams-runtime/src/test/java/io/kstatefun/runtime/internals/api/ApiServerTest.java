package io.kstatefun.runtime.internals.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.testing.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ApiServerTest {

  private Vertx vertx;
  private SimpleMeterRegistry registry;
  private ApiServer server;

  /** Answers /state/... with 200, /state/.../missing with a 404 naming its reason. */
  private static final ApiRoutes STATE =
      request -> {
        if (!request.path().startsWith("/state/")) {
          return false;
        }
        if (request.path().endsWith("/missing")) {
          request.response().setStatusCode(404).putHeader(ApiServer.ERROR_HEADER, "no-value").end();
        } else {
          request.response().end("ok");
        }
        return true;
      };

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private ApiServer start(ApiSecurity security) {
    server =
        ApiServer.listen(
            vertx,
            "127.0.0.1",
            0,
            security,
            new ApiMetrics(registry, t -> t.namespace().equals("example")));
    return server;
  }

  private static ApiSecurity security(Map<String, Object> settings) {
    return ApiSecurity.from(new KStatefunConfig(settings));
  }

  private static Map<String, Object> base() {
    return new java.util.HashMap<>(Map.of("application.id", "app", "bootstrap.servers", "x:9092"));
  }

  private HttpClientResponse get(HttpClient client, String path, String authorization)
      throws Exception {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost("127.0.0.1")
            .setPort(server.port())
            .setURI(path);
    if (authorization != null) {
      options.putHeader("Authorization", authorization);
    }
    return client
        .request(options)
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp)))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(30)
  void shouldAnswer401WithoutTheBearerTokenAndServeWithIt() throws Exception {
    Map<String, Object> settings = base();
    settings.put(KStatefunConfig.API_AUTH_TOKEN_CONFIG, "s3cret");
    start(security(settings)).install(List.of(STATE));
    HttpClient client = vertx.createHttpClient();

    HttpClientResponse none = get(client, "/state/example/counter/a", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(get(client, "/state/example/counter/a", "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(get(client, "/state/example/counter/a", "Bearer s3cret").statusCode())
        .isEqualTo(200);
    assertThat(
            registry
                .get("kstatefun.api.rejected")
                .tags("route", "state", "reason", "unauthorized")
                .counter()
                .count())
        .isEqualTo(2.0);
  }

  @Test
  @Timeout(30)
  void shouldReadTheTokenFromAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("token");
    java.nio.file.Files.writeString(file, "from-file\n");
    Map<String, Object> settings = base();
    settings.put(KStatefunConfig.API_AUTH_TOKEN_FILE_CONFIG, file.toString());
    start(security(settings)).install(List.of(STATE));
    HttpClient client = vertx.createHttpClient();
    assertThat(get(client, "/state/example/counter/a", "Bearer from-file").statusCode())
        .isEqualTo(200);
    assertThat(get(client, "/state/example/counter/a", null).statusCode()).isEqualTo(401);
  }

  @Test
  @Timeout(300) // generating the certificates (RSA keys, keytool) is slow on a loaded machine
  void shouldRequireAClientCertificateSignedByTheClientCaWithMutualTls(@TempDir Path dir)
      throws Exception {
    TestCertificates certs = TestCertificates.generate(dir);
    Map<String, Object> settings = base();
    settings.put(KStatefunConfig.API_TLS_CERT_CONFIG, certs.serverP12.toString());
    settings.put(KStatefunConfig.API_TLS_KEY_PASSWORD_FILE_CONFIG, certs.passwordFile.toString());
    settings.put(KStatefunConfig.API_TLS_CLIENT_CA_CONFIG, certs.caPem.toString());
    start(security(settings)).install(List.of(STATE));

    HttpClient withCert =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setSsl(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(certs.caPem.toString()))
                .setKeyCertOptions(
                    new PfxOptions()
                        .setPath(certs.clientP12.toString())
                        .setPassword(TestCertificates.PASSWORD)));
    assertThat(get(withCert, "/state/example/counter/a", null).statusCode()).isEqualTo(200);

    HttpClient withoutCert =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setSsl(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(certs.caPem.toString())));
    assertThatThrownBy(() -> get(withoutCert, "/state/example/counter/a", null))
        .as("the TLS handshake fails without a client certificate")
        .isInstanceOf(java.util.concurrent.ExecutionException.class);

    HttpClient plain = vertx.createHttpClient();
    assertThatThrownBy(() -> get(plain, "/state/example/counter/a", null))
        .as("plain HTTP is not served")
        .isInstanceOf(java.util.concurrent.ExecutionException.class);
  }

  @Test
  @Timeout(30)
  void shouldRecordRequestsByRouteFunctionTypeAndStatusAndRejectionsByReason() throws Exception {
    start(ApiSecurity.NONE).install(List.of(STATE));
    HttpClient client = vertx.createHttpClient();
    get(client, "/state/example/counter/a", null);
    get(client, "/state/example/counter/b", null);
    get(client, "/state/example/counter/a/missing", null);
    get(client, "/state/other/thing/a", null);
    get(client, "/nowhere", null);

    assertThat(
            registry
                .get("kstatefun.api.requests")
                .tags("route", "state", "function_type", "example/counter", "status", "2xx")
                .timer()
                .count())
        .isEqualTo(2);
    assertThat(
            registry
                .get("kstatefun.api.requests")
                .tags("route", "state", "function_type", "example/counter", "status", "4xx")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("kstatefun.api.requests")
                .tags("route", "state", "function_type", "unknown", "status", "2xx")
                .timer()
                .count())
        .as("a type the module does not have is not a tag value")
        .isEqualTo(1);
    assertThat(
            registry
                .get("kstatefun.api.rejected")
                .tags("route", "state", "reason", "no-value")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("kstatefun.api.rejected")
                .tags("route", "other", "reason", "no-route")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  @Timeout(30)
  void shouldAnswer503WithRetryAfterUntilInstalledAndWhileItCannotServe() throws Exception {
    start(ApiSecurity.NONE);
    HttpClient client = vertx.createHttpClient();
    HttpClientResponse starting = get(client, "/state/example/counter/a", null);
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.getHeader("Retry-After")).isEqualTo("1");
    assertThat(starting.getHeader(ApiServer.ERROR_HEADER)).isEqualTo("starting");

    AtomicBoolean ready = new AtomicBoolean(false);
    server.install(List.of(STATE), ready::get);
    HttpClientResponse notReady = get(client, "/state/example/counter/a", null);
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.getHeader(ApiServer.ERROR_HEADER)).isEqualTo("not-ready");
    ready.set(true);
    assertThat(get(client, "/state/example/counter/a", null).statusCode()).isEqualTo(200);
    assertThat(
            registry
                .get("kstatefun.api.rejected")
                .tags("route", "state", "reason", "not-ready")
                .counter()
                .count())
        .isEqualTo(1.0);
  }
}
