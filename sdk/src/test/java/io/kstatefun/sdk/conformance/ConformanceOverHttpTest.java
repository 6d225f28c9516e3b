package io.kstatefun.sdk.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance cases through {@link FunctionServer}: the HTTP binding returns the core's bytes
 * unchanged and maps each error kind to its status code. One deliberate difference: an empty body
 * (the request without invocation) is answered 400 over HTTP, since no runtime sends one.
 */
@Timeout(60)
class ConformanceOverHttpTest {
  private static final Map<String, Integer> STATUS_BY_ERROR_KIND =
      Map.of("MALFORMED_REQUEST", 400, "UNKNOWN_FUNCTION_TYPE", 404, "FUNCTION_FAILED", 500);

  private static FunctionServer server;
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    server =
        new FunctionServer(
                OurConformanceFunctions.registry(),
                FunctionServerOptions.defaults().withHost("127.0.0.1"))
            .listen(0);
  }

  @AfterAll
  static void stop() {
    server.shutdown(Duration.ofSeconds(5));
  }

  static Stream<ConformanceCase> cases() {
    return ConformanceCase.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void serverShouldAnswerAsSpecified(ConformanceCase c) throws Exception {
    HttpResponse<byte[]> response =
        CLIENT.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/statefun/conformance"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(c.request()))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());

    if (c.request().length == 0) {
      assertThat(response.statusCode()).isEqualTo(400);
    } else if (c.expectsError()) {
      assertThat(response.statusCode()).isEqualTo(STATUS_BY_ERROR_KIND.get(c.expectedErrorKind()));
      String body = new String(response.body(), StandardCharsets.UTF_8);
      for (String mention : c.expectedErrorMentions()) {
        assertThat(body).contains(mention);
      }
    } else {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .contains("application/octet-stream");
      assertThat(response.body()).isEqualTo(c.expected().toByteArray());
    }
  }
}
