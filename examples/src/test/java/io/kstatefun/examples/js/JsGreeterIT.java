package io.kstatefun.examples.js;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.examples.testing.EgressLog;
import io.kstatefun.examples.testing.ExampleRuntime;
import io.kstatefun.examples.testing.SharedKafka;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.KStatefunRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/js-greeter}: a function written with the official StateFun JavaScript SDK ({@code
 * apache-flink-statefun} 3.3.0 from npm), served by {@code node server.js}, on the kstatefun
 * runtime and a real broker. Needs {@code node} and {@code npm} on the PATH (and the npm registry,
 * unless {@code node_modules} is already installed); {@code -Dkstatefun.examples.skipJs=true} skips
 * it.
 */
@ExtendWith(SharedKafka.class)
@Timeout(240)
class JsGreeterIT {

  private static final String SDK_VERSION = "3.3.0";
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  private static LocalKafkaBroker kafka;
  private static Process node;
  private static final List<String> nodeOutput = Collections.synchronizedList(new ArrayList<>());
  private static String functionBaseUrl;

  @TempDir static Path dir;

  @BeforeAll
  static void start(LocalKafkaBroker broker) throws Exception {
    Assumptions.assumeFalse(
        Boolean.getBoolean("kstatefun.examples.skipJs"), "kstatefun.examples.skipJs is set");
    Path example = Path.of(System.getProperty("user.dir")).resolve("js-greeter");
    assertThat(example.resolve("server.js"))
        .as("the JavaScript example (run from the examples module)")
        .exists();
    installSdk(example);

    node =
        new ProcessBuilder("node", "server.js", "0")
            .directory(example.toFile())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> pump(node, port), "node-output");
    reader.setDaemon(true);
    reader.start();
    functionBaseUrl = "http://127.0.0.1:" + port.get(30, TimeUnit.SECONDS);

    kafka = broker;
    kafka.createTopics(Map.of("js-names", 2, "js-greetings", 1));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.destroy();
      if (!node.waitFor(10, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
  }

  @Test
  void shouldRunAFunctionWrittenWithTheOfficialJavaScriptSdkUnchanged() throws Exception {
    try (KStatefunRuntime runtime =
            ExampleRuntime.start(kafka, "js-greeter", functionBaseUrl, dir);
        KafkaProducer<byte[], byte[]> producer = ExampleRuntime.producer(kafka);
        EgressLog greetings = new EgressLog(kafka.bootstrapServers(), "js-greetings")) {
      for (String name : List.of("ada", "linus", "ada", "ada", "linus")) {
        ExampleRuntime.send(producer, "js-names", name, name);
      }

      greetings.awaitUntil(
          all -> greetings.forKey("ada").size() >= 3 && greetings.forKey("linus").size() >= 2,
          Duration.ofSeconds(60));
      greetings.readFor(Duration.ofSeconds(1));

      assertThat(greetings.valuesFor("ada"))
          .as("node output: %s", nodeOutput)
          .containsExactly(
              "Hello ada from JavaScript, visit #1",
              "Hello ada from JavaScript, visit #2",
              "Hello ada from JavaScript, visit #3");
      assertThat(greetings.valuesFor("linus"))
          .containsExactly(
              "Hello linus from JavaScript, visit #1", "Hello linus from JavaScript, visit #2");
      assertThat(node.isAlive()).as("node still serving; output: %s", nodeOutput).isTrue();
    }
  }

  @Test
  void shouldAnswerAnHttpApiCallFromTheOfficialJavaScriptSdkBySendingToTheCaller()
      throws Exception {
    try (KStatefunRuntime runtime =
        ExampleRuntime.start(
            kafka,
            "js-greeter",
            functionBaseUrl,
            dir.resolve("api"),
            ExampleRuntime.uniqueApplicationId("js-greeter-api"),
            Map.of("kstatefun.api.port", 0, "kstatefun.api.host", "127.0.0.1"))) {
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.http.HttpResponse<String> answer =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + runtime.apiPort() + "/call/js/greeter/grace"))
                  .header("Statefun-Type", "js/name")
                  .timeout(Duration.ofSeconds(60))
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grace"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode())
          .as("%s; node output: %s", answer.body(), nodeOutput)
          .isEqualTo(200);
      assertThat(answer.body()).isEqualTo("Hello grace from JavaScript, visit #1");
      assertThat(answer.headers().firstValue("Statefun-Type")).hasValue("io.statefun.types/string");
    }
  }

  /** {@code npm ci} unless the pinned SDK version is installed already (so reruns work offline). */
  private static void installSdk(Path example) throws Exception {
    Path installed = example.resolve("node_modules/apache-flink-statefun/package.json");
    if (Files.exists(installed)
        && Files.readString(installed).contains("\"version\": \"" + SDK_VERSION + "\"")) {
      return;
    }
    List<String> output = new ArrayList<>();
    Process npm;
    try {
      npm =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(example.toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "npm is not installed; the JavaScript example needs node and npm "
              + "(or skip it with -Dkstatefun.examples.skipJs=true)",
          e);
    }
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(npm.getInputStream(), StandardCharsets.UTF_8))) {
      r.lines().forEach(output::add);
    }
    assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci finished").isTrue();
    assertThat(npm.exitValue()).as("npm ci exit code; output: %s", output).isZero();
  }

  private static void pump(Process process, CompletableFuture<Integer> port) {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        nodeOutput.add(line);
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
      }
      port.completeExceptionally(new IllegalStateException("node exited: " + nodeOutput));
    } catch (IOException e) {
      port.completeExceptionally(e);
    }
  }
}
