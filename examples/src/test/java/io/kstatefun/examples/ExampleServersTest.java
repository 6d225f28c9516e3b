package io.kstatefun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.examples.billing.Billing;
import io.kstatefun.examples.cart.ShoppingCart;
import io.kstatefun.examples.dev.ExampleModule;
import io.kstatefun.examples.greeter.Greeter;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.sdk.http.FunctionServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the READMEs' manual steps rely on: each example's {@code main} serves its functions (here
 * through {@code serve(0)}), and each module file is valid and points at localhost.
 */
@Timeout(60)
class ExampleServersTest {

  @Test
  void shouldServeEachExamplesFunctionsWithAHealthEndpoint() throws Exception {
    assertServes(Greeter::serve, "example/greeter");
    assertServes(
        port -> Billing.serve(port, Duration.ofSeconds(10)),
        "billing/subscription",
        "billing/payment");
    assertServes(ShoppingCart::serve, "cart/cart", "cart/inventory");
  }

  @Test
  void shouldShipModuleFilesForLocalhost() {
    for (String example : new String[] {"greeter", "billing", "cart", "js-greeter"}) {
      String yaml = ExampleModule.yaml(example);
      assertThat(yaml)
          .as(example)
          .contains("address: localhost:9092")
          .containsPattern("urlPathTemplate: http://localhost:800[01]/");
      ModuleSpec spec = ExampleModule.load(example, "127.0.0.1:1234", "http://127.0.0.1:5678");
      assertThat(spec.ingresses()).as(example).hasSize(1);
      assertThat(spec.egresses()).as(example).hasSize(1);
      assertThat(ExampleModule.yaml(example, "127.0.0.1:1234", "http://127.0.0.1:5678"))
          .doesNotContain("localhost")
          .contains("address: 127.0.0.1:1234", "urlPathTemplate: http://127.0.0.1:5678/statefun");
    }
  }

  private static void assertServes(IntFunction<FunctionServer> serve, String... functionTypes)
      throws Exception {
    try (FunctionServer server = serve.apply(0)) {
      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + server.port() + "/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains(functionTypes);
    }
  }
}
