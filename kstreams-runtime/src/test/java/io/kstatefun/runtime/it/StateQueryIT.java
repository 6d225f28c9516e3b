package io.kstatefun.runtime.it;

import static io.kstatefun.runtime.testing.RuntimeProcess.activePartitions;
import static io.kstatefun.runtime.testing.RuntimeProcess.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.testing.CounterWorkload;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import io.kstatefun.runtime.testing.RuntimeProcess;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * State queries through the HTTP API with two runtime JVMs on a real broker (docs/http-api.md):
 * after a counter load, a read through either instance returns each key's committed counter (the
 * count the function's egress output reports), the instance that does not own an address proxies
 * once to the one that does, a standby answers {@code replica=any} with its lag, and the 404
 * semantics hold. Then the owner of half the partitions is killed: the survivor's {@code
 * /health/ready} stays 200 throughout the take-over, and it serves every key afterwards.
 */
class StateQueryIT {

  private static LocalKafkaBroker kafka;
  private static final HttpClient HTTP =
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

  static HttpResponse<byte[]> get(int port, String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(15))
              .GET()
              .build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError("GET " + path + " on port " + port + " failed: " + e, e);
    }
  }

  static int status(int port, String path) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static JsonObject json(HttpResponse<byte[]> r) {
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    return new JsonObject(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  @Test
  @Timeout(400)
  void shouldReadCommittedStateThroughEitherInstanceAndStayReadyWhenThePeerDies(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 8, out, 1));
    int keys = 16;
    int perKey = 3;
    CounterWorkload workload = new CounterWorkload(keys);
    int adminA = freePort();
    int adminB = freePort();
    int apiA = freePort();
    int apiB = freePort();

    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module =
          CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
      List<String> common =
          List.of(
              "--module", module.toString(),
              "--application-id", "app-" + suffix,
              "--set", "num.standby.replicas=1",
              "--set", "main.consumer.session.timeout.ms=2000",
              "--set", "main.consumer.heartbeat.interval.ms=500",
              "--set", "kstatefun.api.advertised.host=127.0.0.1");
      List<String> argsA =
          new ArrayList<>(RuntimeProcess.instanceArgs(common, dir.resolve("a"), adminA));
      argsA.addAll(List.of("--set", "kstatefun.api.port=" + apiA));
      List<String> argsB =
          new ArrayList<>(RuntimeProcess.instanceArgs(common, dir.resolve("b"), adminB));
      argsB.addAll(List.of("--set", "kstatefun.api.port=" + apiB));

      try (RuntimeProcess a = RuntimeProcess.start("runtime-A", argsA);
          RuntimeProcess b = RuntimeProcess.start("runtime-B", argsB)) {
        assertThat(a.awaitRunning(Duration.ofSeconds(120))).as("A running").isTrue();
        assertThat(b.awaitRunning(Duration.ofSeconds(120))).as("B running").isTrue();
        await("the partitions split between A and B")
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  Set<Integer> onA = activePartitions(adminA);
                  Set<Integer> onB = activePartitions(adminB);
                  return !onA.isEmpty() && !onB.isEmpty() && onA.size() + onB.size() == 8;
                });

        workload.send(producer, in, perKey);
        List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(120));
        workload.verify(egress);
        Map<String, Integer> committed = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : egress) {
          String[] parts = KafkaIO.utf8(r.value()).split(":");
          committed.merge(parts[0], Integer.parseInt(parts[1]), Math::max);
        }
        assertThat(committed).hasSize(keys);

        Set<Integer> onA = activePartitions(adminA);
        Set<Integer> onB = activePartitions(adminB);
        assertThat(onA.size() + onB.size()).isEqualTo(8);
        int proxiedFromA = 0;
        int proxiedFromB = 0;
        for (Map.Entry<String, Integer> e : committed.entrySet()) {
          String id = e.getKey();
          boolean ownedByA = onA.contains(AddressPartitioner.partition(id, 8));
          for (int port : List.of(apiA, apiB)) {
            for (String consistency : List.of("latest", "committed")) {
              HttpResponse<byte[]> r =
                  get(port, "/state/example/counter/" + id + "?consistency=" + consistency);
              JsonObject body = json(r);
              JsonObject count = body.getJsonObject("values").getJsonObject("count");
              assertThat(count.getString("typename")).isEqualTo("io.statefun.types/int");
              assertThat(count.getInteger("value")).as(id + " via " + port).isEqualTo(e.getValue());
              assertThat(body.getString("replica")).isEqualTo("active");
              assertThat(body.getString("consistency")).isEqualTo(consistency);
              int owner = ownedByA ? apiA : apiB;
              assertThat(body.getString("servedBy")).isEqualTo("127.0.0.1:" + owner);
              if (port != owner) {
                assertThat(header(r, "Kstatefun-Proxied-By")).isEqualTo("127.0.0.1:" + port);
                if (port == apiA) {
                  proxiedFromA++;
                } else {
                  proxiedFromB++;
                }
              } else {
                assertThat(header(r, "Kstatefun-Proxied-By")).isNull();
              }
            }
          }
          // The forwarder's state, and one value as raw bytes.
          JsonObject fwd = json(get(apiA, "/state/example/forwarder/" + id + "-fwd"));
          assertThat(fwd.getJsonObject("values").getJsonObject("seen").getInteger("value"))
              .isEqualTo(perKey);
          HttpResponse<byte[]> raw = get(apiB, "/state/example/counter/" + id + "/count");
          assertThat(raw.statusCode()).isEqualTo(200);
          assertThat(header(raw, "Statefun-Type")).isEqualTo("io.statefun.types/int");
          assertThat(IntWrapper.parseFrom(raw.body()).getValue()).isEqualTo(e.getValue());
        }
        assertThat(proxiedFromA).as("reads proxied by A").isPositive();
        assertThat(proxiedFromB).as("reads proxied by B").isPositive();

        // 404 semantics: a type no endpoint serves (the module binds example/*); no such value. A
        // known address without state is empty.
        HttpResponse<byte[]> unknown = get(apiA, "/state/nowhere/nosuchtype/x");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(header(unknown, "Kstatefun-Error")).isEqualTo("unknown-function-type");
        JsonObject empty = json(get(apiA, "/state/example/counter/never-written"));
        assertThat(empty.getJsonObject("values").isEmpty()).isTrue();
        HttpResponse<byte[]> noValue = get(apiB, "/state/example/counter/never-written/count");
        assertThat(noValue.statusCode()).isEqualTo(404);
        assertThat(header(noValue, "Kstatefun-Error")).isEqualTo("no-value");
        assertThat(get(apiA, "/state/example/counter/user-0/nosuchvalue").statusCode())
            .isEqualTo(404);
        assertThat(get(apiA, "/state/example/counter/user-0?replica=maybe").statusCode())
            .isEqualTo(400);

        // The debug view of an idle address, proxied or not.
        for (int port : List.of(apiA, apiB)) {
          JsonObject debug = json(get(port, "/debug/example/counter/user-1"));
          assertThat(debug.getJsonObject("mailbox").getLong("backlog")).isZero();
          assertThat(debug.containsKey("inFlight")).isFalse();
          assertThat(debug.getString("diagnosis")).startsWith("idle");
          assertThat(debug.getJsonObject("task").getInteger("maxInFlight")).isPositive();
        }

        // The debug view of a stuck address: its function stalls, a request stays in flight and
        // the messages behind it queue.
        functions.stall(6_000);
        KafkaIO.send(producer, in, "stuck-1", "stuck-1#1");
        producer.flush();
        await("stuck-1 has a request in flight")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> json(get(apiA, "/debug/example/counter/stuck-1")).containsKey("inFlight"));
        KafkaIO.send(producer, in, "stuck-1", "stuck-1#2");
        KafkaIO.send(producer, in, "stuck-1", "stuck-1#3");
        producer.flush();
        await("stuck-1's debug view shows the aging request and the queue behind it")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .untilAsserted(
                () -> {
                  JsonObject d = json(get(apiB, "/debug/example/counter/stuck-1"));
                  assertThat(d.getJsonObject("inFlight").getLong("ageMs")).isGreaterThan(1_000);
                  assertThat(d.getJsonObject("mailbox").getLong("backlog"))
                      .isGreaterThanOrEqualTo(3);
                  assertThat(d.getJsonObject("mailbox").getJsonObject("oldest").getString("origin"))
                      .startsWith(in + "-");
                  assertThat(d.getString("diagnosis")).startsWith("a request with");
                });
        functions.stall(0);
        await("stuck-1 is idle again")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    json(get(apiA, "/debug/example/counter/stuck-1"))
                        .getString("diagnosis")
                        .startsWith("idle"));
        assertThat(
                json(get(apiB, "/state/example/counter/stuck-1?consistency=committed"))
                    .getJsonObject("values")
                    .getJsonObject("count")
                    .getInteger("value"))
            .isEqualTo(3);

        // A standby answers replica=any locally, with its lag.
        String onBKey =
            committed.keySet().stream()
                .filter(id -> onB.contains(AddressPartitioner.partition(id, 8)))
                .findFirst()
                .orElseThrow();
        await("A's standby of " + onBKey + " caught up")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () -> {
                  HttpResponse<byte[]> r =
                      get(apiA, "/state/example/counter/" + onBKey + "?replica=any");
                  JsonObject body = json(r);
                  assertThat(body.getString("replica")).isEqualTo("standby");
                  assertThat(header(r, "Kstatefun-Replica")).isEqualTo("standby");
                  assertThat(header(r, "Kstatefun-Lag-Records")).isNotNull();
                  assertThat(body.getString("servedBy")).isEqualTo("127.0.0.1:" + apiA);
                  assertThat(
                          body.getJsonObject("values").getJsonObject("count").getInteger("value"))
                      .isEqualTo(committed.get(onBKey));
                });

        // Metrics of the API on A's admin port.
        String metrics = new String(get(adminA, "/metrics").body());
        assertThat(metrics)
            .contains("kstatefun_api_requests_seconds_count{function_type=\"example/counter\"")
            .contains(
                "kstatefun_api_rejected_total{reason=\"unknown-function-type\",route=\"state\"");

        // Kill A: B's readiness stays 200 while it takes A's partitions over; B keeps serving its
        // own partitions, and answers for A's either 200 or 503 + Retry-After.
        String onAKey =
            committed.keySet().stream()
                .filter(id -> onA.contains(AddressPartitioner.partition(id, 8)))
                .findFirst()
                .orElseThrow();
        a.kill();
        long killAt = System.currentTimeMillis();
        List<String> notReady = new ArrayList<>();
        List<String> ownKeyFailures = new ArrayList<>();
        List<String> movedKeyBadAnswers = new ArrayList<>();
        int movedKey503 = 0;
        long ownedAllAt = 0;
        while (System.currentTimeMillis() - killAt < 60_000) {
          long at = System.currentTimeMillis() - killAt;
          int s = status(adminB, "/health/ready");
          if (s != 200) {
            notReady.add(at + " ms: " + s);
          }
          HttpResponse<byte[]> own = get(apiB, "/state/example/counter/" + onBKey);
          if (own.statusCode() != 200) {
            ownKeyFailures.add(at + " ms: " + own.statusCode() + " " + new String(own.body()));
          }
          HttpResponse<byte[]> moved = get(apiB, "/state/example/counter/" + onAKey);
          if (moved.statusCode() == 503 && "1".equals(header(moved, "Retry-After"))) {
            movedKey503++;
          } else if (moved.statusCode() != 200) {
            movedKeyBadAnswers.add(
                at + " ms: " + moved.statusCode() + " " + new String(moved.body()));
          }
          if (ownedAllAt == 0 && activePartitions(adminB).size() == 8) {
            ownedAllAt = System.currentTimeMillis();
          }
          if (ownedAllAt != 0 && System.currentTimeMillis() - ownedAllAt > 2_000) {
            break;
          }
          Thread.sleep(50);
        }
        System.out.println(
            "B owned every partition " + (ownedAllAt - killAt) + " ms after the kill");
        assertThat(ownedAllAt).as("B took every partition over").isPositive();
        assertThat(notReady).as("B's /health/ready answers that were not 200").isEmpty();
        assertThat(ownKeyFailures)
            .as("B's answers for its own partition during the take-over")
            .isEmpty();
        assertThat(movedKeyBadAnswers)
            .as("B's answers other than 200 or 503 + Retry-After for a partition it takes over")
            .isEmpty();
        System.out.println(
            "B answered 503 + Retry-After " + movedKey503 + " times for a partition it took over");

        // B serves every key now.
        for (Map.Entry<String, Integer> e : committed.entrySet()) {
          await("B serves " + e.getKey())
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    JsonObject body =
                        json(
                            get(
                                apiB,
                                "/state/example/counter/" + e.getKey() + "?consistency=committed"));
                    assertThat(
                            body.getJsonObject("values").getJsonObject("count").getInteger("value"))
                        .isEqualTo(e.getValue());
                  });
        }
      }
    }
  }
}
