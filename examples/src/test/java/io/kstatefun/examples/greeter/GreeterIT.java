package io.kstatefun.examples.greeter;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.examples.testing.EgressLog;
import io.kstatefun.examples.testing.ExampleRuntime;
import io.kstatefun.examples.testing.SharedKafka;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The greeter, written with the kstatefun SDK and served by its {@link FunctionServer}, on the
 * kstatefun runtime and a real broker, configured by {@code examples/greeter/module.yaml}. This is
 * also the SDK-against-runtime integration test: the state handshake, state mutations and Kafka
 * egress all go through the real protocol.
 */
@ExtendWith(SharedKafka.class)
@Timeout(180)
class GreeterIT {

  private static LocalKafkaBroker kafka;
  private static FunctionServer functions;
  private static String functionBaseUrl;

  @TempDir static Path dir;

  @BeforeAll
  static void start(LocalKafkaBroker broker) {
    kafka = broker;
    kafka.createTopics(Map.of(Greeter.NAMES_TOPIC, 2, Greeter.GREETINGS_TOPIC, 1));
    functions =
        new FunctionServer(
                Greeter.registry(), FunctionServerOptions.defaults().withHost("127.0.0.1"))
            .listen(0);
    functionBaseUrl = "http://127.0.0.1:" + functions.port();
  }

  @AfterAll
  static void stop() {
    if (functions != null) {
      functions.close();
    }
  }

  @Test
  void shouldGreetEveryNameOncePerVisitCountingVisitsInOrder() throws Exception {
    try (KStatefunRuntime runtime =
            ExampleRuntime.start(kafka, "greeter", functionBaseUrl, dir.resolve("a"));
        KafkaProducer<byte[], byte[]> producer = ExampleRuntime.producer(kafka);
        EgressLog greetings = new EgressLog(kafka.bootstrapServers(), Greeter.GREETINGS_TOPIC)) {
      for (String name : List.of("alice", "bob", "alice", "carol", "bob", "alice")) {
        ExampleRuntime.send(producer, Greeter.NAMES_TOPIC, name, name);
      }

      greetings.awaitUntil(
          all ->
              greetings.forKey("alice").size() >= 3
                  && greetings.forKey("bob").size() >= 2
                  && greetings.forKey("carol").size() >= 1,
          Duration.ofSeconds(60));
      greetings.readFor(Duration.ofSeconds(1)); // late duplicates would show up here

      assertThat(greetings.valuesFor("alice"))
          .containsExactly(
              "Hello alice, visit #1", "Hello alice, visit #2", "Hello alice, visit #3");
      assertThat(greetings.valuesFor("bob"))
          .containsExactly("Hello bob, visit #1", "Hello bob, visit #2");
      assertThat(greetings.valuesFor("carol")).containsExactly("Hello carol, visit #1");
    }
  }

  @Test
  void shouldKeepTheVisitCountWhenTheRuntimeRestartsWithAnEmptyStateDirectory() throws Exception {
    String applicationId = ExampleRuntime.uniqueApplicationId("greeter");
    try (KafkaProducer<byte[], byte[]> producer = ExampleRuntime.producer(kafka);
        EgressLog greetings = new EgressLog(kafka.bootstrapServers(), Greeter.GREETINGS_TOPIC)) {
      try (KStatefunRuntime first =
          ExampleRuntime.start(
              kafka, "greeter", functionBaseUrl, dir.resolve("b1"), applicationId)) {
        ExampleRuntime.send(producer, Greeter.NAMES_TOPIC, "dave", "dave");
        ExampleRuntime.send(producer, Greeter.NAMES_TOPIC, "dave", "dave");
        greetings.awaitUntil(all -> greetings.forKey("dave").size() >= 2, Duration.ofSeconds(60));
      }
      // A new instance on another machine: its state comes back from the changelog topics.
      try (KStatefunRuntime second =
          ExampleRuntime.start(
              kafka, "greeter", functionBaseUrl, dir.resolve("b2"), applicationId)) {
        ExampleRuntime.send(producer, Greeter.NAMES_TOPIC, "dave", "dave");
        greetings.awaitUntil(all -> greetings.forKey("dave").size() >= 3, Duration.ofSeconds(60));
        greetings.readFor(Duration.ofSeconds(1));
      }
      assertThat(greetings.valuesFor("dave"))
          .containsExactly("Hello dave, visit #1", "Hello dave, visit #2", "Hello dave, visit #3");
    }
  }
}
