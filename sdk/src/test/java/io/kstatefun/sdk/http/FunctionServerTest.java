package io.kstatefun.sdk.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.types.Types;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FunctionServerTest {
  private static final TypeName ECHO = TypeName.of("http-test", "echo");
  private static final TypeName FAILING = TypeName.of("http-test", "failing");
  private static final TypeName BLOCKING = TypeName.of("http-test", "blocking");

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicReference<String> functionThread = new AtomicReference<>();
  private FunctionServer server;

  @AfterEach
  void stopServer() {
    release.countDown();
    if (server != null) {
      server.shutdown(Duration.ofSeconds(5));
    }
  }

  private FunctionRegistry registry() {
    return FunctionRegistry.of(
        StatefulFunctionSpec.builder(ECHO)
            .withSupplier(
                () ->
                    (context, message) -> {
                      functionThread.set(Thread.currentThread().getName());
                      context.send(
                          MessageBuilder.forAddress(context.caller().orElseThrow())
                              .withValue("echo: " + message.asUtf8String())
                              .build());
                      return context.done();
                    })
            .build(),
        StatefulFunctionSpec.builder(FAILING)
            .withSupplier(
                () ->
                    (context, message) -> {
                      throw new IllegalStateException("kaput");
                    })
            .build(),
        StatefulFunctionSpec.builder(BLOCKING)
            .withSupplier(
                () ->
                    (context, message) -> {
                      release.await();
                      return context.done();
                    })
            .build());
  }

  private FunctionServer start(FunctionServerOptions options) {
    server = new FunctionServer(registry(), options.withHost("127.0.0.1")).listen(0);
    return server;
  }

  private FunctionServer start() {
    return start(FunctionServerOptions.defaults());
  }

  private static byte[] request(TypeName type, String id, String argument) {
    TypedValue value = MessageBuilder.forAddress(type, id).withValue(argument).build().typedValue();
    return ToFunction.newBuilder()
        .setInvocation(
            ToFunction.InvocationBatchRequest.newBuilder()
                .setTarget(protocolAddress("http-test", type.name(), id))
                .addInvocations(
                    ToFunction.Invocation.newBuilder()
                        .setCaller(protocolAddress("http-test", "caller", "c1"))
                        .setArgument(value)))
        .build()
        .toByteArray();
  }

  private static io.kstatefun.protocol.Address protocolAddress(String ns, String type, String id) {
    return io.kstatefun.protocol.Address.newBuilder()
        .setNamespace(ns)
        .setType(type)
        .setId(id)
        .build();
  }

  private HttpRequest.Builder post(String path, byte[] body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .POST(BodyPublishers.ofByteArray(body));
  }

  private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, BodyHandlers.ofByteArray());
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void shouldListenOnAnEphemeralPortAndExposeIt() {
    start();

    assertThat(server.port()).isPositive();
  }

  @Test
  void shouldAnswerAProtocolRequestOnAnyPathWithOctetStream() throws Exception {
    start();

    HttpResponse<byte[]> response =
        send(
            post("/statefun/echo", request(ECHO, "alice", "hi"))
                .header("Content-Type", "application/octet-stream")
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/octet-stream");
    FromFunction reply = FromFunction.parseFrom(response.body());
    FromFunction.Invocation sent = reply.getInvocationResult().getOutgoingMessages(0);
    assertThat(sent.getTarget().getType()).isEqualTo("caller");
    assertThat(
            Types.stringType()
                .typeSerializer()
                .deserialize(sent.getArgument().getValue().toByteArray()))
        .isEqualTo("echo: hi");
    assertThat(functionThread.get())
        .as("functions never run on the event loop")
        .doesNotContain("eventloop");
  }

  @Test
  void shouldAcceptAMissingContentTypeAndContentTypeParameters() throws Exception {
    start();

    HttpResponse<byte[]> withoutType = send(post("/", request(ECHO, "a", "x")).build());
    HttpResponse<byte[]> withParameter =
        send(
            post("/", request(ECHO, "a", "x"))
                .header("Content-Type", "Application/Octet-Stream; charset=binary")
                .build());

    assertThat(withoutType.statusCode()).isEqualTo(200);
    assertThat(withParameter.statusCode()).isEqualTo(200);
  }

  @Test
  void shouldRejectOtherContentTypesWith415() throws Exception {
    start();

    HttpResponse<byte[]> response =
        send(post("/", request(ECHO, "a", "x")).header("Content-Type", "application/json").build());

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(text(response)).contains("application/json").contains("application/octet-stream");
  }

  @Test
  void shouldRejectMethodsOtherThanPostWith405() throws Exception {
    start();
    URI uri = URI.create("http://127.0.0.1:" + server.port() + "/statefun");

    HttpResponse<byte[]> get = send(HttpRequest.newBuilder(uri).GET().build());
    HttpResponse<byte[]> put =
        send(HttpRequest.newBuilder(uri).PUT(BodyPublishers.ofByteArray(new byte[] {1})).build());

    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).contains("POST");
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(text(put)).contains("PUT");
  }

  @Test
  void shouldAnswerHealthChecksWithTheServedFunctions() throws Exception {
    start();

    HttpResponse<byte[]> response =
        send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
                .GET()
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(text(response))
        .isEqualTo(
            "{\"status\":\"UP\",\"functions\":[\"http-test/echo\",\"http-test/failing\","
                + "\"http-test/blocking\"]}");
  }

  @Test
  void shouldRejectEmptyAndUndecodableBodiesWith400() throws Exception {
    start();

    HttpResponse<byte[]> empty = send(post("/", new byte[0]).build());
    HttpResponse<byte[]> garbage = send(post("/", new byte[] {0x0a, 0x05, 0x01}).build());

    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(text(empty)).contains("Empty request body");
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(text(garbage)).contains("not a serialized ToFunction");
  }

  @Test
  void shouldAnswerAnUnknownFunctionTypeWith404NamingIt() throws Exception {
    start();

    HttpResponse<byte[]> response =
        send(post("/", request(TypeName.of("http-test", "nobody"), "z", "x")).build());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(text(response)).contains("http-test/nobody").contains("http-test/nobody/z");
  }

  @Test
  void shouldAnswerAFunctionFailureWith500NamingFunctionAndAddress() throws Exception {
    start();

    HttpResponse<byte[]> response = send(post("/", request(FAILING, "bob", "x")).build());

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(text(response))
        .contains("http-test/failing")
        .contains("http-test/failing/bob")
        .contains("invocation 1 of 1")
        .contains("kaput");
  }

  @Test
  void shouldRejectBodiesOverTheLimitWith413() throws Exception {
    start(FunctionServerOptions.defaults().withMaxRequestBytes(64));

    HttpResponse<byte[]> response = send(post("/", new byte[65]).build());

    assertThat(response.statusCode()).isEqualTo(413);
  }

  @Test
  void shouldRunFunctionsOnTheConfiguredExecutor() throws Exception {
    ExecutorService executor =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "custom-function-thread"));
    try {
      start(FunctionServerOptions.defaults().withExecutor(executor));

      HttpResponse<byte[]> response = send(post("/", request(ECHO, "a", "x")).build());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(functionThread.get()).isEqualTo("custom-function-thread");
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void shouldFinishInFlightRequestsOnShutdownAndRefuseNewOnes() throws Exception {
    start();
    int port = server.port();
    CompletableFuture<HttpResponse<byte[]>> inFlight =
        client.sendAsync(
            post("/", request(BLOCKING, "slow", "x")).build(), BodyHandlers.ofByteArray());
    awaitInFlight(1);

    CompletableFuture<Void> closing =
        CompletableFuture.runAsync(() -> server.shutdown(Duration.ofSeconds(20)));
    assertThat(eventuallyRefusesOrDrains(port)).isTrue();
    assertThat(closing).isNotDone();

    release.countDown();

    assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    closing.get(10, TimeUnit.SECONDS);
    assertThatThrownBy(
            () ->
                send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .build()))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void shouldBoundTheShutdownWaitWhenARequestNeverFinishes() throws Exception {
    start();
    client.sendAsync(
        post("/", request(BLOCKING, "stuck", "x")).build(), BodyHandlers.ofByteArray());
    awaitInFlight(1);

    long started = System.nanoTime();
    server.shutdown(Duration.ofMillis(300));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void shouldRefuseToListenTwiceOrReportAPortBeforeListening() {
    FunctionServer fresh = new FunctionServer(registry());
    assertThatThrownBy(fresh::port).isInstanceOf(IllegalStateException.class);

    start();
    assertThatThrownBy(() -> server.listen(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already started");
  }

  @Test
  void shouldFailToListenOnAPortInUseWithTheAddress() {
    start();
    FunctionServer second =
        new FunctionServer(registry(), FunctionServerOptions.defaults().withHost("127.0.0.1"));

    assertThatThrownBy(() -> second.listen(server.port()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("127.0.0.1:" + server.port());
  }

  private void awaitInFlight(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.inFlightRequests() < expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(server.inFlightRequests()).isEqualTo(expected);
  }

  /** True once a new request is refused (connection refused, or 503 while draining). */
  private boolean eventuallyRefusesOrDrains(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      try {
        HttpResponse<byte[]> response =
            fresh.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                BodyHandlers.ofByteArray());
        if (response.statusCode() == 503) {
          return true;
        }
      } catch (IOException e) {
        return true;
      }
      Thread.sleep(10);
    }
    return false;
  }
}
