package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.FunctionType;
import java.net.URI;
import org.junit.jupiter.api.Test;

class EndpointRouterTest {

  private final EndpointRouter router =
      ModuleParser.parse(
              """
              kind: io.statefun.endpoints.v2/http
              spec:
                functions: com.example/*
                urlPathTemplate: http://shared:8000/fns/{function.name}
              ---
              kind: io.statefun.endpoints.v2/http
              spec:
                functions: com.example/greeter
                urlPathTemplate: http://greeter:9000/
              ---
              kind: io.statefun.endpoints.v1/http
              spec:
                functions: com.example.sub/*
                urlPathTemplate: http://sub:8000/{function.name}/{function.name}
              """,
              "router.yaml")
          .endpointRouter();

  @Test
  void shouldPreferExactBindingOverNamespaceWildcard() {
    HttpEndpointSpec endpoint = router.endpointFor(type("com.example/greeter")).orElseThrow();

    assertThat(endpoint.origin()).isEqualTo("router.yaml, document 2");
    assertThat(router.urlFor(type("com.example/greeter")))
        .isEqualTo(URI.create("http://greeter:9000/"));
  }

  @Test
  void shouldUseNamespaceWildcardForOtherTypesOfTheNamespace() {
    assertThat(router.endpointFor(type("com.example/counter")).orElseThrow().origin())
        .isEqualTo("router.yaml, document 1");
    assertThat(router.urlFor(type("com.example/counter")))
        .isEqualTo(URI.create("http://shared:8000/fns/counter"));
  }

  @Test
  void shouldMatchNamespacesExactlyNotByPrefix() {
    assertThat(router.urlFor(type("com.example.sub/echo")))
        .isEqualTo(URI.create("http://sub:8000/echo/echo"));
    assertThat(router.endpointFor(type("com.examples/greeter"))).isEmpty();
    assertThat(router.endpointFor(type("com/example"))).isEmpty();
  }

  @Test
  void shouldFailUrlLookupOfUnboundTypeNamingIt() {
    assertThatThrownBy(() -> router.urlFor(type("org.other/fn")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("No endpoint serves function type org.other/fn")
        .hasMessageContaining("'org.other/*'");
  }

  @Test
  void shouldReturnSameUrlOnRepeatedLookups() {
    URI first = router.urlFor(type("com.example/counter"));

    assertThat(router.urlFor(type("com.example/counter"))).isEqualTo(first);
    assertThat(router.endpoints()).hasSize(3);
  }

  @Test
  void shouldRefuseToServeTypeOutsideTheEndpointsBinding() {
    HttpEndpointSpec greeter = router.endpointFor(type("com.example/greeter")).orElseThrow();

    assertThatThrownBy(() -> greeter.urlFor(type("com.example/counter")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not serve com.example/counter");
  }

  @Test
  void shouldRejectTwoWildcardsForOneNamespaceWhenBuilt() {
    ModuleSpec first =
        ModuleParser.parse(
            "kind: io.statefun.endpoints.v2/http\n"
                + "spec: {functions: a/*, urlPathTemplate: 'http://x:1/'}\n",
            "first.yaml");
    ModuleSpec second =
        ModuleParser.parse(
            "kind: io.statefun.endpoints.v1/http\n"
                + "spec: {functions: a/*, urlPathTemplate: 'http://y:1/'}\n",
            "second.yaml");

    assertThatThrownBy(() -> first.merge(second))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining(
            "'a/*' is bound by both first.yaml, document 1 and second.yaml, document 1");
  }

  private static FunctionType type(String text) {
    return FunctionType.parse(text);
  }
}
