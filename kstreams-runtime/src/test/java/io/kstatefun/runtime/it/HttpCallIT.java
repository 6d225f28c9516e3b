package io.kstatefun.runtime.it;

import static io.kstatefun.runtime.testing.RuntimeProcess.activePartitions;
import static io.kstatefun.runtime.testing.RuntimeProcess.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.OfficialSdkCallee;
import io.kstatefun.runtime.testing.RuntimeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API on a real broker with two runtime instances in their own JVMs, and a function
 * written with the official StateFun Java SDK 3.3.0 that answers by sending to its caller ({@link
 * OfficialSdkCallee}):
 *
 * <ol>
 *   <li>a call issued to the instance that does not own the address is answered with the function's
 *       reply;
 *   <li>the same call retried with its Idempotency-Key (on either instance) applies once and
 *       returns the same reply; the same key with another body is refused (422); a call that
 *       outlives its timeout answers 202 with a location whose GET, on the other instance, returns
 *       the reply; 404, 400 and 413 for an unserved type, an untyped body, a body too large;
 *   <li>the owning instance is killed (SIGKILL) while keyed calls are in flight: retried with their
 *       keys until answered, every call has exactly one applied effect (the counters add up).
 * </ol>
 */
class HttpCallIT {

  private static final int PARTITIONS = 8;
  private static LocalKafkaBroker kafka;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  static void startKafka() throws Exception {
    kafka =
        LocalKafkaBroker.builder().brokerProperty("group.min.session.timeout.ms", "1000").start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @Timeout(420)
  void shouldAnswerCallsOnEitherInstanceApplyRetriesOnceAndSurviveAKillOfTheOwner(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    int adminA = freePort();
    int adminB = freePort();
    int apiA = freePort();
    int apiB = freePort();
    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCallee.handler())) {
      Path module = dir.resolve("module.yaml");
      Files.writeString(
          module,
          String.join(
              "\n",
              "kind: io.statefun.endpoints.v2/http",
              "spec:",
              "  functions: example/*",
              "  urlPathTemplate: " + functions.urlTemplate(),
              "  transport:",
              "    call: 30s",
              ""));
      List<String> common =
          List.of(
              "--module", module.toString(),
              "--application-id", "api-" + suffix,
              "--bootstrap-servers", kafka.bootstrapServers(),
              "--set", "kstatefun.partitions=" + PARTITIONS,
              "--set", "kstatefun.api.host=127.0.0.1",
              "--set", "kstatefun.api.advertised.host=127.0.0.1",
              "--set", "main.consumer.session.timeout.ms=2000",
              "--set", "main.consumer.heartbeat.interval.ms=500",
              "--set", "producer.transaction.timeout.ms=2000");
      List<String> argsA = new ArrayList<>(common);
      argsA.addAll(List.of("--set", "kstatefun.api.port=" + apiA));
      List<String> argsB = new ArrayList<>(common);
      argsB.addAll(List.of("--set", "kstatefun.api.port=" + apiB));
      RuntimeProcess a =
          RuntimeProcess.start(
              "runtime-A", RuntimeProcess.instanceArgs(argsA, dir.resolve("state-a"), adminA));
      RuntimeProcess b = null;
      try {
        assertThat(a.awaitRunning(Duration.ofSeconds(90))).as("A running").isTrue();
        b =
            RuntimeProcess.start(
                "runtime-B", RuntimeProcess.instanceArgs(argsB, dir.resolve("state-b"), adminB));
        assertThat(b.awaitRunning(Duration.ofSeconds(90))).as("B running").isTrue();
        await("the partitions split between A and B")
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  Set<Integer> onA = activePartitions(adminA);
                  Set<Integer> onB = activePartitions(adminB);
                  return !onA.isEmpty() && !onB.isEmpty() && onA.size() + onB.size() == PARTITIONS;
                });
        Set<Integer> onA = activePartitions(adminA);
        List<String> idsOnA = new ArrayList<>();
        for (int i = 0; idsOnA.size() < 6; i++) {
          if (onA.contains(AddressPartitioner.partition("user-" + i, PARTITIONS))) {
            idsOnA.add("user-" + i);
          }
        }
        String first = idsOnA.get(0);

        // 1. A call through B for an address A owns, answered by the official SDK's function.
        HttpResponse<String> r1 = call(apiB, first, "1", "key-1", 30);
        assertThat(r1.statusCode()).as(r1.body()).isEqualTo(200);
        assertThat(r1.body()).isEqualTo("1");
        assertThat(r1.headers().firstValue("Statefun-Type")).hasValue("io.statefun.types/int");
        String invocationId = r1.headers().firstValue("KStatefun-Invocation-Id").orElseThrow();

        // 2. Retried with its key, on B and on A: the same reply, applied once.
        HttpResponse<String> again = call(apiB, first, "1", "key-1", 30);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("1");
        assertThat(call(apiA, first, "1", "key-1", 30).body()).isEqualTo("1");
        HttpResponse<String> reattached = get(apiA, "/invocations/" + invocationId);
        assertThat(reattached.statusCode()).isEqualTo(200);
        assertThat(reattached.body()).isEqualTo("1");
        HttpResponse<String> other = call(apiB, first, "5", "key-1", 30);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(422);
        HttpResponse<String> next = call(apiA, first, "1", "key-2", 30);
        assertThat(next.body()).as("the counter moved once for key-1").isEqualTo("2");
        // A call that outlives its timeout: 202 and a location, from which the other instance
        // returns the reply.
        HttpResponse<String> later = call(apiB, first, "1", "key-3", 0);
        assertThat(later.statusCode()).as(later.body()).isEqualTo(202);
        String location = later.headers().firstValue("Location").orElseThrow();
        HttpResponse<String> fetched = get(apiA, location + "?timeout=30s");
        assertThat(fetched.statusCode()).as(fetched.body()).isEqualTo(200);
        assertThat(fetched.body()).isEqualTo("3");
        // Too large a body.
        assertThat(
                post(
                        apiB,
                        "/call/example/api-counter/x",
                        "x".repeat(2 * 1024 * 1024),
                        Map.of("Statefun-Type", "example/blob"))
                    .statusCode())
            .isEqualTo(413);
        // Errors: an unserved type, a body without a type.
        assertThat(
                post(
                        apiB,
                        "/call/nobody/here/x",
                        "1",
                        Map.of("Statefun-Type", "io.statefun.types/int"))
                    .statusCode())
            .isEqualTo(404);
        assertThat(
                post(
                        apiB,
                        "/call/example/api-counter/x",
                        "{}",
                        Map.of("Content-Type", "application/json"))
                    .statusCode())
            .isEqualTo(400);
        // A send without a caller: accepted once in Kafka, applied (seen by the next call).
        HttpResponse<String> sent =
            post(
                apiB,
                "/send/example/api-counter/" + first,
                "10",
                Map.of("Statefun-Type", "io.statefun.types/int"));
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        await("the send applied")
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> "13".equals(call(apiB, first, "0", UUID.randomUUID().toString(), 30).body()));

        // 3. Keyed calls in flight through B while A, the owner, is killed; then retried.
        Map<String, Integer> expected = new HashMap<>();
        expected.put(first, 13); // 1 + 1 + 1 + 10
        List<String[]> calls = new ArrayList<>(); // {id, key}
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
          String id = idsOnA.get(i % idsOnA.size());
          String key = "kill-" + i;
          calls.add(new String[] {id, key});
          expected.merge(id, 1, Integer::sum);
          inFlight.add(callAsync(apiB, id, "1", key, 5));
          if (i == 30) {
            a.kill();
            System.out.println("killed A with " + (60 - i) + " calls still to issue");
          }
          Thread.sleep(20);
        }
        int answeredAtOnce = 0;
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
          try {
            if (f.get().statusCode() == 200) {
              answeredAtOnce++;
            }
          } catch (Exception e) {
            // retried below
          }
        }
        System.out.println(answeredAtOnce + " of 60 calls answered before any retry");
        for (String[] c : calls) {
          await("call " + c[1] + " answered on retry")
              .atMost(Duration.ofSeconds(120))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> call(apiB, c[0], "1", c[1], 5).statusCode() == 200);
        }
        // Exactly one effect per key: a probe call sees each counter at its expected value + 1.
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
          HttpResponse<String> probe = call(apiB, e.getKey(), "1", "probe-" + suffix, 30);
          assertThat(probe.statusCode()).isEqualTo(200);
          assertThat(probe.body())
              .as("counter of %s", e.getKey())
              .isEqualTo(String.valueOf(e.getValue() + 1));
        }
      } finally {
        a.close();
        if (b != null) {
          b.close();
        }
      }
    }
  }

  private HttpResponse<String> call(int port, String id, String body, String key, int timeoutS)
      throws Exception {
    return callAsync(port, id, body, key, timeoutS).get();
  }

  private CompletableFuture<HttpResponse<String>> callAsync(
      int port, String id, String body, String key, int timeoutS) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/call/example/api-counter/"
                        + id
                        + "?timeout="
                        + timeoutS
                        + "s"))
            .timeout(Duration.ofSeconds(timeoutS + 10))
            .header("Statefun-Type", "io.statefun.types/int")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int port, String path, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(40))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(40))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
