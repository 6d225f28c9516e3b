package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.KafkaEgressSpec.DeliverySemantic;
import io.kstatefun.routing.module.KafkaIngressSpec.OnError;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The {@code module.yaml} the README shows, and the module keys the docs name, parse as described.
 */
class DocumentedModuleTest {

  private static final Path README = Path.of("..", "README.md");

  /** The {@code ```yaml} blocks of a Markdown file. */
  private static List<String> yamlBlocks(Path doc) throws IOException {
    List<String> blocks = new ArrayList<>();
    StringBuilder block = null;
    for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
      if (block == null && line.trim().equals("```yaml")) {
        block = new StringBuilder();
      } else if (block != null && line.trim().equals("```")) {
        blocks.add(block.toString());
        block = null;
      } else if (block != null) {
        block.append(line).append('\n');
      }
    }
    return blocks;
  }

  @Test
  void shouldParseTheReadmesModuleAsItDescribesIt() throws IOException {
    List<String> blocks = yamlBlocks(README);
    assertThat(blocks).as("the README's module.yaml").hasSize(1);

    ModuleSpec module = ModuleParser.parse(blocks.get(0), "README.md");

    HttpEndpointSpec endpoint = module.endpoints().get(0);
    assertThat(endpoint.urlFor(FunctionType.parse("example/greeter")))
        .isEqualTo(URI.create("http://localhost:8000/greeter"));
    assertThat(endpoint.transport().call()).isEqualTo(Duration.ofMinutes(2));
    KafkaIngressSpec ingress = module.ingresses().get(0);
    assertThat(ingress.address()).contains("localhost:9092");
    assertThat(ingress.startupPosition()).isEqualTo(new StartupPosition.Earliest());
    assertThat(ingress.topics().get(0).topic()).isEqualTo("names");
    assertThat(ingress.onError()).as("default").isEqualTo(OnError.DEAD_LETTER);
    KafkaEgressSpec egress = module.egresses().get(0);
    assertThat(egress.deliverySemantic())
        .isEqualTo(
            new DeliverySemantic(
                DeliverySemantic.Type.EXACTLY_ONCE, Optional.of(Duration.ofMinutes(15))));
  }

  @Test
  void shouldAcceptTheOnErrorPoliciesTheDocsName() {
    for (String value : List.of("dead-letter", "skip", "fail")) {
      KafkaIngressSpec ingress =
          ModuleParser.parse(
                  """
                  kind: io.statefun.kafka.v1/ingress
                  spec:
                    id: example/in
                    topics: [{topic: names, valueType: example/name, targets: [example/greeter]}]
                    onError: %s
                  """
                      .formatted(value),
                  "module.yaml")
              .ingresses()
              .get(0);
      assertThat(ingress.onError().yamlName()).isEqualTo(value);
    }
  }

  @Test
  void shouldAcceptTheHeaderFromAFileThatFailureHandlingShows() {
    HttpEndpointSpec endpoint =
        ModuleParser.parse(
                """
                kind: io.statefun.endpoints.v2/http
                spec:
                  functions: example/*
                  urlPathTemplate: https://functions:8443/{function.name}
                  headers: {Authorization: {file: /run/secrets/token}}
                """,
                "module.yaml")
            .endpoints()
            .get(0);
    assertThat(endpoint.headers())
        .containsEntry("Authorization", new HeaderSource.FromFile("/run/secrets/token"));
  }
}
