package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.IncompleteInvocationContext;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.cli.KStatefunCli;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.Percentiles;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.RequestReplyHandler;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failing functions on a real broker, with one runtime for the class: every failure class ends as a
 * dead letter with its reason while the application keeps running; one failing address does not
 * slow the others down; a function that recovers resumes its address in order; dead letters can be
 * re-injected with {@code kstatefun dlq --reinject}.
 */
class FailingFunctionIT {

  /** Failing function types and the dead-letter reason each must produce. */
  private static final Map<String, String> FAILURES = new LinkedHashMap<>();

  static {
    FAILURES.put(
        "refused", "FUNCTION_CALL_FAILED"); // connection refused, retried until the budget is spent
    FAILURES.put("slow", "FUNCTION_CALL_FAILED"); // no answer within the budget
    FAILURES.put("e500", "FUNCTION_CALL_FAILED"); // HTTP 500, retried
    FAILURES.put("e404", "FUNCTION_CALL_FAILED"); // HTTP 404, terminal
    FAILURES.put("ctype", "MALFORMED_RESPONSE"); // 200 text/html
    FAILURES.put("garbage", "MALFORMED_RESPONSE"); // 200 octet-stream, not a FromFunction
    FAILURES.put("undeclared", "UNDECLARED_STATE_MUTATION");
    FAILURES.put("mismatch", "STATE_TYPE_MISMATCH");
    FAILURES.put("egress", "UNKNOWN_EGRESS");
    FAILURES.put(
        "notopic", "EGRESS_TOPIC_MISSING"); // a declared egress, a topic that does not exist
    FAILURES.put("unknownfn", "UNKNOWN_FUNCTION_TYPE"); // its outgoing message, not its batch
    FAILURES.put("badaddr", "INVALID_ADDRESS");
    FAILURES.put("bigresp", "PAYLOAD_TOO_LARGE");
  }

  private static final Set<String> RETRIED = Set.of("refused", "slow", "e500");
  private static final TypeName EGRESS = TypeName.of("fail", "out");

  private static LocalKafkaBroker kafka;
  private static FaultyFunctions functions;
  private static KStatefunRuntime runtime;
  private static String app;
  private static String failuresTopic;
  private static String echoTopic;
  private static String patientTopic;
  private static String limitedTopic;
  private static String out;

  @TempDir static Path dir;

  /**
   * The functions behind one HTTP server; the path is the function name. {@code echo} and {@code
   * patient} are written with the kstatefun SDK and emit {@code ID|PAYLOAD}; the others misbehave.
   */
  static final class FaultyFunctions implements AutoCloseable {
    final HttpServer server;
    final ExecutorService executor = Executors.newFixedThreadPool(16);
    final RequestReplyHandler sdk;

    /** Ids whose calls to echo/patient answer 503. */
    final Set<String> failingIds = ConcurrentHashMap.newKeySet();

    /** Id -> when (ms) its calls were answered 503, in order. */
    final Map<String, List<Long>> failedAt = new ConcurrentHashMap<>();

    /** Requests to fail/limited being served now, and the most seen at once. */
    final java.util.concurrent.atomic.AtomicInteger limitedNow =
        new java.util.concurrent.atomic.AtomicInteger();

    final java.util.concurrent.atomic.AtomicInteger limitedMax =
        new java.util.concurrent.atomic.AtomicInteger();

    FaultyFunctions(String egressTopic) throws IOException {
      StatefulFunctionSpec.Builder echo = echoSpec(TypeName.of("fail", "echo"), egressTopic);
      StatefulFunctionSpec.Builder patient = echoSpec(TypeName.of("fail", "patient"), egressTopic);
      StatefulFunctionSpec.Builder limited = echoSpec(TypeName.of("fail", "limited"), egressTopic);
      sdk =
          FunctionRegistry.builder()
              .withFunction(echo)
              .withFunction(patient)
              .withFunction(limited)
              .build()
              .requestReplyHandler();
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
      server.setExecutor(executor);
      server.createContext("/", this::handle);
      server.start();
    }

    private static StatefulFunctionSpec.Builder echoSpec(TypeName type, String topic) {
      return StatefulFunctionSpec.builder(type)
          .withSupplier(
              () ->
                  (context, message) -> {
                    context.send(
                        KafkaEgressMessage.forEgress(EGRESS)
                            .withTopic(topic)
                            .withUtf8Key(context.self().id())
                            .withUtf8Value(
                                context.self().id()
                                    + "|"
                                    + new String(message.rawValue(), StandardCharsets.UTF_8))
                            .build());
                    return context.done();
                  });
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/{function.name}";
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        String name = exchange.getRequestURI().getPath().substring(1);
        ToFunction request = ToFunction.parseFrom(exchange.getRequestBody().readAllBytes());
        String id = request.getInvocation().getTarget().getId();
        switch (name) {
          case "echo", "patient" -> {
            if (failingIds.contains(id)) {
              failedAt
                  .computeIfAbsent(id, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                  .add(System.currentTimeMillis());
              reply(exchange, 503, "text/plain", "unavailable".getBytes(StandardCharsets.UTF_8));
            } else {
              reply(
                  exchange,
                  200,
                  "application/octet-stream",
                  sdk.handle(request).get().toByteArray());
            }
          }
          case "limited" -> {
            limitedMax.accumulateAndGet(limitedNow.incrementAndGet(), Math::max);
            try {
              Thread.sleep(
                  200); // the scenario: a slow function holds its slot, so concurrency shows
              reply(
                  exchange,
                  200,
                  "application/octet-stream",
                  sdk.handle(request).get().toByteArray());
            } finally {
              limitedNow.decrementAndGet();
            }
          }
          case "slow" -> {
            Thread.sleep(5_000); // the scenario: no answer within the 1.5 s call budget
            reply(exchange, 200, "application/octet-stream", new byte[0]);
          }
          case "e500" -> reply(exchange, 500, null, new byte[0]);
          case "e404" ->
              reply(
                  exchange, 404, "text/plain", "no such function".getBytes(StandardCharsets.UTF_8));
          case "ctype" ->
              reply(exchange, 200, "text/html", "<html>hi</html>".getBytes(StandardCharsets.UTF_8));
          case "garbage" ->
              reply(
                  exchange,
                  200,
                  "application/octet-stream",
                  new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01});
          case "undeclared" ->
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addStateMutations(
                          PersistedValueMutation.newBuilder()
                              .setMutationType(PersistedValueMutation.MutationType.MODIFY)
                              .setStateName("ghost")
                              .setStateValue(text("boo"))));
          case "mismatch" -> {
            if (request.getInvocation().getStateCount() == 0) {
              reply(
                  exchange,
                  200,
                  "application/octet-stream",
                  FromFunction.newBuilder()
                      .setIncompleteInvocationContext(
                          IncompleteInvocationContext.newBuilder()
                              .addMissingValues(
                                  PersistedValueSpec.newBuilder()
                                      .setStateName("s")
                                      .setTypeTypename("io.statefun.types/int")))
                      .build()
                      .toByteArray());
            } else {
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addStateMutations(
                          PersistedValueMutation.newBuilder()
                              .setMutationType(PersistedValueMutation.MutationType.MODIFY)
                              .setStateName("s")
                              .setStateValue(text("not an int"))));
            }
          }
          case "egress" ->
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addOutgoingEgresses(
                          EgressMessage.newBuilder()
                              .setEgressNamespace("nope")
                              .setEgressType("out")
                              .setArgument(text("x"))));
          case "notopic" ->
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addOutgoingEgresses(
                          EgressMessage.newBuilder()
                              .setEgressNamespace("fail")
                              .setEgressType("out")
                              .setArgument(
                                  TypedValue.newBuilder()
                                      .setTypename(
                                          "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord")
                                      .setHasValue(true)
                                      .setValue(
                                          io.kstatefun.protocol.egress.KafkaProducerRecord
                                              .newBuilder()
                                              .setTopic("kstatefun-no-such-topic")
                                              .setKey(id)
                                              .setValueBytes(ByteString.copyFromUtf8("lost?"))
                                              .build()
                                              .toByteString()))));
          case "unknownfn" ->
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addOutgoingMessages(
                          FromFunction.Invocation.newBuilder()
                              .setTarget(
                                  io.kstatefun.protocol.Address.newBuilder()
                                      .setNamespace("nowhere")
                                      .setType("ghost")
                                      .setId(id))
                              .setArgument(text("hello"))));
          case "badaddr" ->
              result(
                  exchange,
                  InvocationResponse.newBuilder()
                      .addOutgoingMessages(
                          FromFunction.Invocation.newBuilder()
                              .setTarget(
                                  io.kstatefun.protocol.Address.newBuilder()
                                      .setNamespace("")
                                      .setType("x")
                                      .setId(id))
                              .setArgument(text("hello"))));
          case "bigresp" -> reply(exchange, 200, "application/octet-stream", new byte[10_000]);
          default -> reply(exchange, 404, null, new byte[0]);
        }
      } catch (Exception e) {
        // the runtime gave up on this attempt (timeout); nothing to answer
      }
    }

    private static TypedValue text(String s) {
      return TypedValue.newBuilder()
          .setTypename("fail/text")
          .setHasValue(true)
          .setValue(ByteString.copyFromUtf8(s))
          .build();
    }

    private static void result(HttpExchange exchange, InvocationResponse.Builder response)
        throws IOException {
      reply(
          exchange,
          200,
          "application/octet-stream",
          FromFunction.newBuilder().setInvocationResult(response).build().toByteArray());
    }

    private static void reply(HttpExchange exchange, int status, String contentType, byte[] body)
        throws IOException {
      if (contentType != null) {
        exchange.getResponseHeaders().set("Content-Type", contentType);
      }
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream o = exchange.getResponseBody()) {
          o.write(body);
        }
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    kafka = LocalKafkaBroker.builder().start();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    app = "failing-" + suffix;
    failuresTopic = "failures-" + suffix;
    echoTopic = "echo-" + suffix;
    patientTopic = "patient-" + suffix;
    limitedTopic = "limited-" + suffix;
    out = "out-" + suffix;
    kafka.createTopics(
        Map.of(failuresTopic, 1, echoTopic, 3, patientTopic, 1, limitedTopic, 2, out, 1));
    functions = new FaultyFunctions(out);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    List<String> yaml = new ArrayList<>();
    for (String name : FAILURES.keySet()) {
      String url =
          name.equals("refused")
              ? "http://127.0.0.1:" + closedPort + "/{function.name}"
              : functions.url();
      yaml.addAll(
          List.of(
              "kind: io.statefun.endpoints.v2/http",
              "spec:",
              "  functions: fail/" + name,
              "  urlPathTemplate: " + url,
              "  transport:",
              "    call: 1500ms",
              "    payload_max_bytes: 4096",
              "---"));
    }
    yaml.addAll(
        List.of(
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: fail/echo",
            "  urlPathTemplate: " + functions.url(),
            "  transport:",
            "    call: 3s",
            "---",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: fail/patient",
            "  urlPathTemplate: " + functions.url(),
            "  onFailure: retry-forever",
            "  transport:",
            "    call: 1s",
            "---",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: fail/limited",
            "  urlPathTemplate: " + functions.url(),
            "  maxInFlight: 2",
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: fail/in",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + failuresTopic,
            "      valueType: fail/text",
            "      targets:"));
    for (String name : FAILURES.keySet()) {
      yaml.add("        - fail/" + name);
    }
    yaml.addAll(
        List.of(
            "        - fail/echo",
            "    - topic: " + echoTopic,
            "      valueType: fail/text",
            "      targets:",
            "        - fail/echo",
            "    - topic: " + patientTopic,
            "      valueType: fail/text",
            "      targets:",
            "        - fail/patient",
            "    - topic: " + limitedTopic,
            "      valueType: fail/text",
            "      targets:",
            "        - fail/limited",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: fail/out",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            ""));
    Path module = dir.resolve("module.yaml");
    Files.writeString(module, String.join("\n", yaml));
    runtime =
        KStatefunRuntime.start(
            ModuleParser.parse(module),
            KafkaIO.runtimeProps(app, kafka.bootstrapServers(), dir.resolve("state").toString()));
    assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
  }

  @AfterAll
  static void stop() {
    if (runtime != null) {
      runtime.close();
    }
    if (functions != null) {
      functions.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /**
   * Dead letters addressed to an address with this id prefix, read until {@code n} are there, then
   * for one more second (an observation window: the runtime is shared and keeps running, so a
   * surplus dead letter can only be caught by looking a little longer).
   */
  private static List<ConsumerRecord<byte[], byte[]>> deadLettersFor(
      String idPrefix, int n, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> reader =
        KafkaIO.committedReader(kafka.bootstrapServers(), app + "-dead-letters")) {
      KafkaIO.readUntil(
          reader,
          all,
          rs -> rs.stream().filter(r -> KafkaIO.utf8(r.key()).startsWith(idPrefix)).count() >= n,
          timeout);
      KafkaIO.drain(reader, all, Duration.ofSeconds(1));
    }
    return all.stream().filter(r -> KafkaIO.utf8(r.key()).startsWith(idPrefix)).toList();
  }

  @Test
  @Timeout(120)
  void shouldDeadLetterEveryFunctionFailureClassWithItsReasonAndKeepRunning() throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      for (String id : List.of("cls-1", "cls-2")) {
        KafkaIO.send(producer, failuresTopic, id, "payload of " + id);
      }
      producer.flush();
      List<ConsumerRecord<byte[], byte[]>> dead =
          deadLettersFor("cls-", 2 * FAILURES.size(), Duration.ofSeconds(60));
      Map<String, ConsumerRecord<byte[], byte[]>> byAddress = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : dead) {
        assertThat(byAddress.put(header(r, DeadLetters.ADDRESS), r))
            .as("one dead letter per address")
            .isNull();
      }
      for (String id : List.of("cls-1", "cls-2")) {
        for (Map.Entry<String, String> e : FAILURES.entrySet()) {
          String address =
              e.getKey().equals("unknownfn")
                  ? "nowhere/ghost/" + id
                  : "fail/" + e.getKey() + "/" + id;
          ConsumerRecord<byte[], byte[]> r = byAddress.get(address);
          assertThat(r).as("dead letter for " + address).isNotNull();
          assertThat(header(r, DeadLetters.REASON))
              .as("reason for " + address)
              .isEqualTo(e.getValue());
          assertThat(header(r, DeadLetters.FORMAT)).isEqualTo("envelope");
          assertThat(header(r, DeadLetters.TIMESTAMP)).isNotBlank();
          if (!e.getKey().equals("unknownfn") && !e.getKey().equals("badaddr")) {
            assertThat(header(r, DeadLetters.SOURCE_TOPIC))
                .as("origin of " + address)
                .isEqualTo(failuresTopic);
            assertThat(header(r, DeadLetters.SOURCE_OFFSET)).isNotBlank();
          }
          int attempts = Integer.parseInt(header(r, DeadLetters.ATTEMPTS));
          if (RETRIED.contains(e.getKey())) {
            assertThat(header(r, DeadLetters.ERROR_CLASS)).endsWith("FunctionCallException");
            if (!e.getKey().equals("slow")) {
              assertThat(attempts).as("retries of " + address).isGreaterThan(1);
            }
          } else if (e.getKey().equals("e404")
              || e.getKey().equals("ctype")
              || e.getKey().equals("garbage")) {
            assertThat(attempts).as("no retry for terminal " + address).isEqualTo(1);
            assertThat(header(r, DeadLetters.ERROR_CLASS)).endsWith("FunctionCallException");
          }
        }
      }
      assertThat(header(byAddress.get("fail/refused/cls-1"), DeadLetters.DETAIL))
          .contains("CONNECT");
      assertThat(header(byAddress.get("fail/slow/cls-1"), DeadLetters.DETAIL)).contains("TIMEOUT");
      assertThat(header(byAddress.get("fail/e500/cls-1"), DeadLetters.DETAIL)).contains("HTTP_5XX");
      assertThat(header(byAddress.get("fail/e404/cls-1"), DeadLetters.DETAIL))
          .contains("HTTP_4XX", "404");
      assertThat(header(byAddress.get("fail/notopic/cls-1"), DeadLetters.DETAIL))
          .contains("kstatefun-no-such-topic");
      assertThat(header(byAddress.get("fail/ctype/cls-1"), DeadLetters.DETAIL))
          .contains("WRONG_CONTENT_TYPE");

      // The echo function, also a target of these records, got both, and the app still runs.
      List<ConsumerRecord<byte[], byte[]>> echoed = new ArrayList<>();
      KafkaIO.readUntil(
          egress,
          echoed,
          rs -> rs.stream().filter(r -> KafkaIO.utf8(r.key()).startsWith("cls-")).count() >= 2,
          Duration.ofSeconds(30));
      assertThat(
              echoed.stream().map(r -> KafkaIO.utf8(r.value())).filter(v -> v.startsWith("cls-")))
          .containsExactlyInAnyOrder("cls-1|payload of cls-1", "cls-2|payload of cls-2");
      assertThat(runtime.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  /** Sends rounds of messages to healthy ids and measures produce-to-committed-egress latency. */
  private static Percentiles latencies(
      KafkaProducer<byte[], byte[]> producer,
      KafkaConsumer<byte[], byte[]> egress,
      String phase,
      int ids,
      int rounds,
      long roundMs,
      Runnable perRound)
      throws Exception {
    Map<String, Long> sentAt = new HashMap<>();
    List<Long> latencies = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < ids; i++) {
        String id = phase + "-" + i;
        String payload = phase + "-" + round;
        sentAt.put(id + "|" + payload, System.currentTimeMillis());
        KafkaIO.send(producer, echoTopic, id, payload);
      }
      producer.flush();
      perRound.run();
      long until = System.currentTimeMillis() + roundMs;
      while (System.currentTimeMillis() < until) {
        collect(egress, sentAt, latencies, 20);
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (latencies.size() < sentAt.size() && System.nanoTime() < deadline) {
      collect(egress, sentAt, latencies, 50);
    }
    assertThat(latencies).as(phase + ": every healthy message arrived").hasSize(sentAt.size());
    return new Percentiles(latencies);
  }

  /** Polls the egress once; records the latency of each healthy message read (consumer side). */
  private static void collect(
      KafkaConsumer<byte[], byte[]> egress,
      Map<String, Long> sentAt,
      List<Long> latencies,
      long pollMs) {
    for (ConsumerRecord<byte[], byte[]> r : egress.poll(Duration.ofMillis(pollMs))) {
      Long sent = sentAt.get(KafkaIO.utf8(r.value()));
      if (sent != null) {
        latencies.add(System.currentTimeMillis() - sent);
      }
    }
  }

  @Test
  @Timeout(180)
  void
      shouldKeepOtherAddressesFlowingWhileOneAddressKeepsFailingAndDeadLetterItsBatchesAfterTheBudget()
          throws Exception {
    functions.failingIds.add("bad");
    int[] badSent = {0};
    try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      latencies(producer, egress, "warm", 10, 30, 100, () -> {});
      // The machine is shared, so a burst of foreign load can hit either phase: measure up to three
      // pairs (without, then with the failing address) and judge the best pair.
      boolean within = false;
      for (int attempt = 1; attempt <= 3 && !within; attempt++) {
        Percentiles without = latencies(producer, egress, "base" + attempt, 10, 40, 150, () -> {});
        Percentiles with =
            latencies(
                producer,
                egress,
                "load" + attempt,
                10,
                40,
                150,
                () -> {
                  KafkaIO.send(producer, echoTopic, "bad", "bad-" + (++badSent[0]));
                  producer.flush();
                });
        System.out.println(
            "FailingFunctionIT pair "
                + attempt
                + ", healthy latency without a failing address: "
                + without);
        System.out.println(
            "FailingFunctionIT pair "
                + attempt
                + ", healthy latency with one address failing:  "
                + with);
        within = with.p(99) <= 2 * Math.max(without.p(99), 100);
      }
      assertThat(within)
          .as(
              "p99 with a failing address within 2x of p99 without (floor 100 ms), in one of 3 pairs")
          .isTrue();

      // Every message of the failing address is dead-lettered once its batch's budget is spent.
      List<ConsumerRecord<byte[], byte[]>> dead =
          deadLettersFor("bad", badSent[0], Duration.ofSeconds(60));
      assertThat(dead).hasSize(badSent[0]);
      for (ConsumerRecord<byte[], byte[]> r : dead) {
        assertThat(header(r, DeadLetters.REASON)).isEqualTo("FUNCTION_CALL_FAILED");
        assertThat(header(r, DeadLetters.ADDRESS)).isEqualTo("fail/echo/bad");
        assertThat(header(r, DeadLetters.DETAIL)).contains("HTTP_5XX", "503");
        assertThat(Integer.parseInt(header(r, DeadLetters.ATTEMPTS))).isGreaterThan(1);
      }

      // The function is fixed: re-inject the dead letters; they are processed, in order.
      functions.failingIds.remove("bad");
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int code =
          KStatefunCli.run(
              new String[] {
                "dlq",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--topic",
                app + "-dead-letters",
                "--reason",
                "FUNCTION_CALL_FAILED",
                "--reinject",
                "--loopback-topic",
                app + "-loopback"
              },
              new PrintStream(output, true, StandardCharsets.UTF_8),
              System.err);
      String printed = output.toString(StandardCharsets.UTF_8);
      assertThat(code).as(printed).isZero();
      assertThat(printed).contains("re-injected ");
      List<ConsumerRecord<byte[], byte[]>> echoed = new ArrayList<>();
      KafkaIO.readUntil(
          egress,
          echoed,
          rs -> rs.stream().filter(r -> "bad".equals(KafkaIO.utf8(r.key()))).count() >= badSent[0],
          Duration.ofSeconds(60));
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= badSent[0]; i++) {
        expected.add("bad|bad-" + i);
      }
      assertThat(
              echoed.stream()
                  .filter(r -> "bad".equals(KafkaIO.utf8(r.key())))
                  .map(r -> KafkaIO.utf8(r.value())))
          .containsExactlyElementsOf(expected);
    } finally {
      functions.failingIds.remove("bad");
    }
  }

  @Test
  @Timeout(120)
  void shouldResumeAnAddressInOrderWhenItsFunctionRecovers() throws Exception {
    functions.failingIds.add("flaky");
    try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      for (int i = 1; i <= 20; i++) {
        KafkaIO.send(producer, patientTopic, "flaky", "m" + i);
        KafkaIO.send(producer, patientTopic, "steady", "m" + i);
        producer.flush();
        Thread.sleep(
            100); // pacing (the scenario): the messages arrive over 2 s, in several batches
      }
      List<ConsumerRecord<byte[], byte[]>> echoed = new ArrayList<>();
      // Other addresses of the same function keep flowing meanwhile.
      KafkaIO.readUntil(
          egress,
          echoed,
          rs -> rs.stream().filter(r -> "steady".equals(KafkaIO.utf8(r.key()))).count() >= 20,
          Duration.ofSeconds(30));
      assertThat(echoed.stream().filter(r -> "flaky".equals(KafkaIO.utf8(r.key())))).isEmpty();
      // retry-forever keeps trying past the 1 s call budget: wait until it has been failing longer.
      await("retries of flaky past the call budget")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                List<Long> failures = functions.failedAt.getOrDefault("flaky", List.of());
                return failures.size() > 1
                    && failures.get(failures.size() - 1) - failures.get(0) > 1_500;
              });
      functions.failingIds.remove("flaky");
      KafkaIO.readUntil(
          egress,
          echoed,
          rs -> rs.stream().filter(r -> "flaky".equals(KafkaIO.utf8(r.key()))).count() >= 20,
          Duration.ofSeconds(60));
      KafkaIO.drain(egress, echoed, Duration.ofSeconds(2)); // observation window: no late duplicate
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        expected.add("flaky|m" + i);
      }
      assertThat(
              echoed.stream()
                  .filter(r -> "flaky".equals(KafkaIO.utf8(r.key())))
                  .map(r -> KafkaIO.utf8(r.value())))
          .containsExactlyElementsOf(expected);
      assertThat(deadLettersFor("flaky", 1, Duration.ofSeconds(2))).isEmpty();
    } finally {
      functions.failingIds.remove("flaky");
    }
  }

  @Test
  @Timeout(120)
  void shouldNeverHaveMoreRequestsInFlightToAnEndpointThanItsMaxInFlight() throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> egress =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      int ids = 12;
      for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < ids; i++) {
          KafkaIO.send(producer, limitedTopic, "lim-" + i, "r" + round);
        }
      }
      producer.flush();
      List<ConsumerRecord<byte[], byte[]>> echoed = new ArrayList<>();
      KafkaIO.readUntil(
          egress,
          echoed,
          rs ->
              rs.stream().filter(r -> KafkaIO.utf8(r.key()).startsWith("lim-")).count() >= 3 * ids,
          Duration.ofSeconds(90));
      Map<String, List<String>> byId = new HashMap<>();
      echoed.stream()
          .filter(r -> KafkaIO.utf8(r.key()).startsWith("lim-"))
          .forEach(
              r ->
                  byId.computeIfAbsent(KafkaIO.utf8(r.key()), k -> new ArrayList<>())
                      .add(KafkaIO.utf8(r.value())));
      assertThat(byId).hasSize(ids);
      byId.forEach(
          (id, values) ->
              assertThat(values).as(id).containsExactly(id + "|r1", id + "|r2", id + "|r3"));
      System.out.println(
          "FailingFunctionIT most concurrent requests to an endpoint with maxInFlight 2: "
              + functions.limitedMax.get());
      assertThat(functions.limitedMax.get()).isBetween(1, 2);
    }
  }
}
