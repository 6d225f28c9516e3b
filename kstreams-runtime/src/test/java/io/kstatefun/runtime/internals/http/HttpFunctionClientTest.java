package io.kstatefun.runtime.internals.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.internals.http.FunctionCallException.Kind;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure classes of the HTTP transport, against a real local HTTP server: what is retried
 * within the call budget, what is terminal, and that retries stop when the caller cancels.
 */
@Timeout(60)
class HttpFunctionClientTest {

  private static final FunctionType TYPE = new FunctionType("test", "fn");
  private static final Address TARGET = new Address(TYPE, "id-1");
  private static final ToFunction REQUEST =
      ToFunction.newBuilder()
          .setInvocation(ToFunction.InvocationBatchRequest.newBuilder().setTarget(TARGET.toProto()))
          .build();
  private static final byte[] OK_BODY =
      FromFunction.newBuilder()
          .setInvocationResult(FromFunction.InvocationResponse.getDefaultInstance())
          .build()
          .toByteArray();

  /** What the server answers to request number n (1-based). */
  private interface Behaviour {
    void answer(int n, HttpExchange exchange) throws Exception;
  }

  private HttpServer server;
  private volatile Behaviour behaviour;
  private final AtomicInteger requests = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();
  private Vertx vertx;
  private HttpFunctionClient client;

  @TempDir Path dir;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            authorizations.add(
                String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            behaviour.answer(requests.incrementAndGet(), exchange);
          } catch (Exception e) {
            // the client went away (timeout): nothing to answer
          }
        });
    server.start();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    vertx.close();
    server.stop(0);
  }

  private static void reply(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private HttpFunctionClient client(String url, String extraSpec) {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: test/*",
            "  urlPathTemplate: " + url,
            extraSpec,
            "");
    ModuleSpec module = ModuleParser.parse(yaml, "test.yaml");
    client =
        new HttpFunctionClient(
            vertx,
            module.endpointRouter()::endpointFor,
            new HttpFunctionClient.Backoff(5, 50),
            new HttpFunctionClient.Listener() {});
    client.prepare(module.endpointRouter().endpoints());
    return client;
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/{function.name}";
  }

  private static FunctionCallException failure(CompletableFuture<FunctionClient.Reply> call) {
    Throwable t = catchThrowable(call::join);
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(FunctionCallException.class);
    return (FunctionCallException) t.getCause();
  }

  @Test
  void shouldRetryServerErrorsUntilTheCallBudgetIsSpent() {
    behaviour = (n, ex) -> reply(ex, 503, "text/plain", "busy".getBytes(StandardCharsets.UTF_8));
    long start = System.nanoTime();
    FunctionCallException e =
        failure(client(url(), "  transport:\n    call: 1500ms").call(TARGET, REQUEST));
    long ms = (System.nanoTime() - start) / 1_000_000;
    // The last attempt gets only what is left of the budget; on a loaded machine it may time out
    // instead of seeing the 503. Either way the call retried until the budget was spent.
    assertThat(e.kind()).isIn(Kind.HTTP_5XX, Kind.TIMEOUT);
    assertThat(e.retryable()).isTrue();
    assertThat(e.attempts()).isGreaterThan(3).isEqualTo(requests.get());
    assertThat(ms).isBetween(700L, 10_000L);
    assertThat(e.getMessage()).contains("test/fn/id-1");
    if (e.kind() == Kind.HTTP_5XX) {
      assertThat(e.getMessage()).contains("HTTP 503", "busy");
    }
  }

  @Test
  void shouldSucceedWhenTheFunctionRecoversWithinTheBudget() {
    behaviour =
        (n, ex) -> {
          if (n <= 2) {
            reply(ex, 500, null, new byte[0]);
          } else {
            reply(ex, 200, "application/octet-stream", OK_BODY);
          }
        };
    FunctionClient.Reply reply =
        client(url(), "  transport:\n    call: 10s").call(TARGET, REQUEST).join();
    assertThat(reply.attempts()).isEqualTo(3);
    assertThat(reply.response().hasInvocationResult()).isTrue();
  }

  @Test
  void shouldRetryForeverBeyondTheBudgetWithRetryForever() {
    behaviour =
        (n, ex) -> {
          if (n <= 25) {
            reply(ex, 429, null, new byte[0]);
          } else {
            reply(ex, 200, "application/octet-stream", OK_BODY);
          }
        };
    FunctionClient.Reply reply =
        client(url(), "  onFailure: retry-forever\n  transport:\n    call: 200ms")
            .call(TARGET, REQUEST)
            .join();
    assertThat(reply.attempts()).isEqualTo(26);
  }

  @Test
  void shouldNotRetryClientErrors() {
    behaviour =
        (n, ex) ->
            reply(ex, 404, "text/plain", "no such function".getBytes(StandardCharsets.UTF_8));
    FunctionCallException e =
        failure(client(url(), "  transport:\n    call: 10s").call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.HTTP_4XX);
    assertThat(e.retryable()).isFalse();
    assertThat(e.attempts()).isEqualTo(1);
  }

  @Test
  void shouldNotRetryAWrongContentType() {
    behaviour = (n, ex) -> reply(ex, 200, "text/html", "<html/>".getBytes(StandardCharsets.UTF_8));
    FunctionCallException e =
        failure(client(url(), "  transport:\n    call: 10s").call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.WRONG_CONTENT_TYPE);
    assertThat(e.attempts()).isEqualTo(1);
  }

  @Test
  void shouldNotRetryAMalformedProtobufAnswer() {
    behaviour =
        (n, ex) -> reply(ex, 200, "application/octet-stream", new byte[] {(byte) 0xFF, 0x01, 0x02});
    FunctionCallException e =
        failure(client(url(), "  transport:\n    call: 10s").call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.MALFORMED_RESPONSE);
    assertThat(e.attempts()).isEqualTo(1);
  }

  @Test
  void shouldRefuseAResponseLargerThanThePayloadLimitWhileReadingIt() {
    behaviour = (n, ex) -> reply(ex, 200, "application/octet-stream", new byte[64 * 1024]);
    FunctionCallException e =
        failure(
            client(url(), "  transport:\n    call: 10s\n    payload_max_bytes: 1000")
                .call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.PAYLOAD_TOO_LARGE);
    assertThat(e.attempts()).isEqualTo(1);
  }

  @Test
  void shouldRefuseARequestLargerThanThePayloadLimitWithoutSendingIt() {
    behaviour = (n, ex) -> reply(ex, 200, "application/octet-stream", OK_BODY);
    FunctionCallException e =
        failure(client(url(), "  transport:\n    payload_max_bytes: 4").call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.PAYLOAD_TOO_LARGE);
    assertThat(requests.get()).isZero();
  }

  @Test
  void shouldRetryRefusedConnections() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    FunctionCallException e =
        failure(
            client("http://127.0.0.1:" + port + "/{function.name}", "  transport:\n    call: 500ms")
                .call(TARGET, REQUEST));
    assertThat(e.kind()).isEqualTo(Kind.CONNECT);
    assertThat(e.retryable()).isTrue();
    assertThat(e.attempts()).isGreaterThan(1);
  }

  @Test
  void shouldTimeOutAStalledCallAtTheEndOfTheBudget() {
    behaviour =
        (n, ex) -> {
          Thread.sleep(3_000); // the scenario: a function that answers after the budget
          reply(ex, 200, "application/octet-stream", OK_BODY);
        };
    long start = System.nanoTime();
    FunctionCallException e =
        failure(client(url(), "  transport:\n    call: 700ms").call(TARGET, REQUEST));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(e.retryable()).isTrue();
    assertThat(ms).isBetween(600L, 2_500L);
  }

  @Test
  void shouldStopRetryingWhenTheCallerCancels() throws Exception {
    behaviour = (n, ex) -> reply(ex, 503, null, new byte[0]);
    CompletableFuture<FunctionClient.Reply> call =
        client(url(), "  onFailure: retry-forever").call(TARGET, REQUEST);
    await("three attempts")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> requests.get() >= 3);
    call.cancel(false);
    // Observation windows for a negative check (no attempt after the cancel), not waits for
    // something: an attempt already on the wire may still land in the first; none may in the
    // second.
    Thread.sleep(200);
    int afterCancel = requests.get();
    Thread.sleep(500);
    assertThat(requests.get()).isEqualTo(afterCancel);
  }

  @Test
  void shouldSendStaticHeadersFromAFileWithoutPuttingThemIntoErrors() throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, "Bearer s3cr3t-token\n");
    behaviour =
        (n, ex) -> reply(ex, 403, "text/plain", "forbidden".getBytes(StandardCharsets.UTF_8));
    FunctionCallException e =
        failure(
            client(url(), "  headers:\n    Authorization:\n      file: " + token)
                .call(TARGET, REQUEST));
    assertThat(List.copyOf(authorizations)).containsExactly("Bearer s3cr3t-token");
    assertThat(e.getMessage()).doesNotContain("s3cr3t");
  }

  @Test
  void shouldFailAtPrepareWhenAHeaderVariableIsMissing() {
    Throwable t =
        catchThrowable(
            () ->
                client(
                    url(),
                    "  headers:\n    Authorization:\n      env: KSTATEFUN_TEST_UNSET_VARIABLE"));
    assertThat(t)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("KSTATEFUN_TEST_UNSET_VARIABLE");
  }

  /**
   * A raw TCP "function server" on 127.0.0.1: reads each request head, then does what {@code
   * answer} says on the socket; sockets stay open until the test ends.
   */
  private static final class RawServer implements AutoCloseable {
    interface Answer {
      void answer(java.net.Socket socket) throws Exception;
    }

    private final ServerSocket socket;
    private final List<java.net.Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();

    RawServer(Answer answer) throws IOException {
      socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    java.net.Socket s = socket.accept();
                    accepted.incrementAndGet();
                    open.add(s);
                    Thread h =
                        new Thread(
                            () -> {
                              try {
                                readHead(s);
                                answer.answer(s);
                              } catch (Exception e) {
                                // the client went away
                              }
                            });
                    h.setDaemon(true);
                    h.start();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    private static void readHead(java.net.Socket s) throws IOException {
      java.io.InputStream in = s.getInputStream();
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      while (matched < end.length) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed");
        }
        matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
      }
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/{function.name}";
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (java.net.Socket s : open) {
        s.close();
      }
    }
  }

  private static final byte[] HEAD_OF_A_LONGER_BODY =
      ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  /**
   * Calls {@code raw} with a 1 s {@code call} budget and asserts the call ends as a TIMEOUT after
   * about that long (not at once, not never).
   */
  private FunctionCallException timesOutAfterOneSecondCall(RawServer raw) {
    long start = System.nanoTime();
    FunctionCallException e =
        failure(
            client(raw.url(), "  transport:\n    call: 1s")
                .call(TARGET, REQUEST)
                .orTimeout(20, TimeUnit.SECONDS));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(ms).isBetween(800L, 5_000L);
    return e;
  }

  @Test
  void shouldTimeOutAnAttemptWhoseResponseBodyNeverCompletes() throws Exception {
    // Vert.x's request timeout ends when the response head arrives: a body that never completes
    // on a connection that stays open must still end the attempt as a TIMEOUT.
    try (RawServer raw =
        new RawServer(
            s -> {
              s.getOutputStream().write(HEAD_OF_A_LONGER_BODY);
              s.getOutputStream().write(new byte[] {0x0A});
              s.getOutputStream().flush();
              Thread.sleep(
                  60_000); // the scenario: the connection stays open, the body never completes
            })) {
      assertThat(timesOutAfterOneSecondCall(raw).retryable()).isTrue();
    }
  }

  @Test
  void shouldRetryForeverPastAttemptsWhoseResponseBodyNeverCompletes() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    try (RawServer raw =
        new RawServer(
            s -> {
              if (connections.incrementAndGet() <= 2) {
                s.getOutputStream().write(HEAD_OF_A_LONGER_BODY);
                s.getOutputStream().flush();
                Thread.sleep(
                    60_000); // the scenario: the connection stays open, the body never completes
              } else {
                s.getOutputStream()
                    .write(
                        ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                                + OK_BODY.length
                                + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(OK_BODY);
                s.getOutputStream().flush();
                Thread.sleep(
                    60_000); // the scenario: a complete answer on a connection that stays open
              }
            })) {
      CompletableFuture<FunctionClient.Reply> call =
          client(raw.url(), "  onFailure: retry-forever\n  transport:\n    call: 500ms")
              .call(TARGET, REQUEST);
      FunctionClient.Reply reply = call.orTimeout(20, TimeUnit.SECONDS).join();
      assertThat(reply.attempts()).isEqualTo(3);
      assertThat(reply.response().hasInvocationResult()).isTrue();
    }
  }

  @Test
  void shouldTimeOutAnAttemptThatTricklesItsResponseHead() throws Exception {
    // Vert.x's request timeout is an idle timeout: every byte restarts it. The attempt's timeout
    // is absolute.
    try (RawServer raw =
        new RawServer(
            s -> {
              for (byte b : HEAD_OF_A_LONGER_BODY) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
                Thread.sleep(200); // the scenario: one byte every 200 ms
              }
            })) {
      timesOutAfterOneSecondCall(raw);
    }
  }

  @Test
  void shouldTimeOutAConnectionThatIsAcceptedButNeverAnswered() throws Exception {
    try (RawServer raw = new RawServer(s -> Thread.sleep(60_000))) { // accepted, never answered
      timesOutAfterOneSecondCall(raw);
    }
  }

  /**
   * A raw HTTP/1.1 function server that keeps connections alive and asks {@code close} before
   * answering each request whether to close the connection instead, without answering.
   */
  private static final class KeepAliveServer implements AutoCloseable {
    interface Close {
      /**
       * @param connection 1-based number of the connection
       * @param request 1-based number of the request on it
       * @param idleMs how long the connection was idle before this request (0 for the first)
       */
      boolean instead(int connection, int request, long idleMs);
    }

    private final ServerSocket socket;
    private final List<java.net.Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger answered = new AtomicInteger();
    final AtomicInteger closedInstead = new AtomicInteger();

    KeepAliveServer(Close close) throws IOException {
      socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    java.net.Socket s = socket.accept();
                    int connection = connections.incrementAndGet();
                    open.add(s);
                    Thread h = new Thread(() -> serve(s, connection, close));
                    h.setDaemon(true);
                    h.start();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    private void serve(java.net.Socket s, int connection, Close close) {
      try (s) {
        java.io.InputStream in = s.getInputStream();
        long idleSince = -1;
        for (int request = 1; ; request++) {
          int length = readHead(in);
          if (length < 0) {
            return; // the client closed the connection
          }
          in.readNBytes(length);
          long idle = idleSince < 0 ? 0 : System.currentTimeMillis() - idleSince;
          if (close.instead(connection, request, idle)) {
            closedInstead.incrementAndGet();
            return;
          }
          s.getOutputStream()
              .write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                          + OK_BODY.length
                          + "\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().write(OK_BODY);
          s.getOutputStream().flush();
          answered.incrementAndGet();
          idleSince = System.currentTimeMillis();
        }
      } catch (IOException e) {
        // the client went away
      }
    }

    /** Reads a request head; its Content-Length, or -1 at the end of the stream. */
    private static int readHead(java.io.InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return -1;
        }
        head.append((char) b);
      }
      for (String line : head.toString().split("\r\n")) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
        }
      }
      return 0;
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/{function.name}";
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (java.net.Socket s : open) {
        s.close();
      }
    }
  }

  /** Counts failed attempts and retries, as the runtime's metrics do. */
  private static final class CountingListener implements HttpFunctionClient.Listener {
    final AtomicInteger failedAttempts = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();

    @Override
    public void attempt(FunctionType type, long nanos, boolean ok) {
      if (!ok) {
        failedAttempts.incrementAndGet();
      }
    }

    @Override
    public void retry(FunctionType type, Kind kind) {
      retries.incrementAndGet();
    }
  }

  private HttpFunctionClient client(String url, HttpFunctionClient.Listener listener) {
    ModuleSpec module =
        ModuleParser.parse(
            String.join(
                "\n",
                "kind: io.statefun.endpoints.v2/http",
                "spec:",
                "  functions: test/*",
                "  urlPathTemplate: " + url,
                "  transport:",
                "    call: 10s",
                ""),
            "test.yaml");
    client =
        new HttpFunctionClient(
            vertx,
            module.endpointRouter()::endpointFor,
            new HttpFunctionClient.Backoff(5, 50),
            listener);
    client.prepare(module.endpointRouter().endpoints());
    return client;
  }

  private static List<io.kstatefun.runtime.testing.LogCapture.Event> clientWarnings(
      io.kstatefun.runtime.testing.LogCapture logs) {
    return logs.events().stream().filter(e -> e.logger().endsWith("HttpFunctionClient")).toList();
  }

  @Test
  void shouldSendAgainWithoutChargingAnAttemptWhenTheServerClosedAnIdleConnection()
      throws Exception {
    // Like the JDK's HTTP server, whose idle timer closes a connection even as a request arrives
    // on it: a request on a connection idle for more than 300 ms is closed instead of answered.
    CountingListener listener = new CountingListener();
    try (io.kstatefun.runtime.testing.LogCapture logs =
            io.kstatefun.runtime.testing.LogCapture.capture();
        KeepAliveServer server =
            new KeepAliveServer((connection, request, idleMs) -> idleMs > 300)) {
      HttpFunctionClient c = client(server.url(), listener);
      List<Integer> attempts = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        attempts.add(c.call(TARGET, REQUEST).orTimeout(20, TimeUnit.SECONDS).join().attempts());
        Thread.sleep(600); // past the server's idle timeout
      }
      assertThat(server.closedInstead)
          .as("requests on stale pooled connections")
          .hasPositiveValue();
      assertThat(server.answered).hasValue(4);
      assertThat(attempts).as("attempts per call").containsOnly(1);
      assertThat(listener.failedAttempts).as("failed attempts counted").hasValue(0);
      assertThat(listener.retries).as("retries counted").hasValue(0);
      assertThat(clientWarnings(logs)).as("warnings of the HTTP client").isEmpty();
    }
  }

  @Test
  void shouldChargeAnAttemptWhenANewConnectionClosesAfterTheRequestWasWritten() throws Exception {
    CountingListener listener = new CountingListener();
    try (KeepAliveServer server =
        new KeepAliveServer((connection, request, idleMs) -> connection <= 2)) {
      FunctionClient.Reply reply =
          client(server.url(), listener)
              .call(TARGET, REQUEST)
              .orTimeout(20, TimeUnit.SECONDS)
              .join();
      assertThat(reply.attempts()).isEqualTo(3);
      assertThat(listener.failedAttempts).hasValue(2);
      assertThat(server.connections).hasValue(3);
    }
  }

  @Test
  void shouldChargeAnAttemptWhenTheRequestSentAgainOnANewConnectionFailsToo() throws Exception {
    // Connection 1 answers a first call, then closes under the second (stale: sent again for
    // free); connection 2, the new one of that second try, closes too: that one counts.
    CountingListener listener = new CountingListener();
    try (KeepAliveServer server =
        new KeepAliveServer(
            (connection, request, idleMs) ->
                (connection == 1 && request == 2) || connection == 2)) {
      HttpFunctionClient c = client(server.url(), listener);
      assertThat(c.call(TARGET, REQUEST).orTimeout(20, TimeUnit.SECONDS).join().attempts())
          .isEqualTo(1);
      FunctionClient.Reply reply = c.call(TARGET, REQUEST).orTimeout(20, TimeUnit.SECONDS).join();
      assertThat(reply.attempts()).isEqualTo(2);
      assertThat(listener.failedAttempts).hasValue(1);
      assertThat(server.closedInstead).hasValue(2);
      assertThat(server.connections).hasValue(3);
    }
  }

  @Test
  void shouldSendAgainOverMutualTlsOnANewConnection() throws Exception {
    io.kstatefun.runtime.testing.TestCertificates certs =
        io.kstatefun.runtime.testing.TestCertificates.generate(dir);
    java.util.Map<io.vertx.core.http.HttpConnection, AtomicInteger> perConnection =
        new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger closedInstead = new AtomicInteger();
    io.vertx.core.http.HttpServer https =
        vertx
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions()
                    .setSsl(true)
                    .setKeyCertOptions(
                        new io.vertx.core.net.PfxOptions()
                            .setPath(certs.serverP12.toString())
                            .setPassword(io.kstatefun.runtime.testing.TestCertificates.PASSWORD))
                    .setClientAuth(io.vertx.core.http.ClientAuth.REQUIRED)
                    .setTrustOptions(
                        new io.vertx.core.net.PemTrustOptions()
                            .addCertPath(certs.caPem.toString())))
            .requestHandler(
                req -> {
                  int n =
                      perConnection
                          .computeIfAbsent(req.connection(), k -> new AtomicInteger())
                          .incrementAndGet();
                  if (n == 2) { // the second request on a connection finds it closed, as if it had
                    // idled out
                    closedInstead.incrementAndGet();
                    req.connection().close();
                    return;
                  }
                  req.body()
                      .onSuccess(
                          b ->
                              req.response()
                                  .putHeader("Content-Type", "application/octet-stream")
                                  .end(io.vertx.core.buffer.Buffer.buffer(OK_BODY)));
                })
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    try {
      CountingListener listener = new CountingListener();
      ModuleSpec module =
          ModuleParser.parse(
              String.join(
                  "\n",
                  "kind: io.statefun.endpoints.v2/http",
                  "spec:",
                  "  functions: test/*",
                  "  urlPathTemplate: https://127.0.0.1:" + https.actualPort() + "/{function.name}",
                  "  transport:",
                  "    call: 10s",
                  "    trust_cacerts: " + certs.caPem,
                  "    client_cert: " + certs.clientCertPem,
                  "    client_key: " + certs.clientKeyPem,
                  ""),
              "test.yaml");
      client =
          new HttpFunctionClient(
              vertx,
              module.endpointRouter()::endpointFor,
              new HttpFunctionClient.Backoff(5, 50),
              listener);
      client.prepare(module.endpointRouter().endpoints());
      for (int i = 0; i < 3; i++) {
        assertThat(client.call(TARGET, REQUEST).orTimeout(20, TimeUnit.SECONDS).join().attempts())
            .as("call %s", i)
            .isEqualTo(1);
      }
      assertThat(closedInstead).hasPositiveValue();
      assertThat(listener.failedAttempts).hasValue(0);
    } finally {
      https.close();
    }
  }

  @Test
  void shouldTellAStalePooledConnectionFromAFailedAttempt() {
    Throwable closed = new io.vertx.core.http.HttpClosedException("Connection was closed");
    // reused connection, no response: stale, whether or not the write completed
    assertThat(HttpFunctionClient.isStaleConnection(true, true, false, closed)).isTrue();
    assertThat(HttpFunctionClient.isStaleConnection(true, false, false, closed)).isTrue();
    // a request that never left a new connection
    assertThat(HttpFunctionClient.isStaleConnection(false, false, false, closed)).isTrue();
    // written on a new connection, or answered in part: a failed attempt
    assertThat(HttpFunctionClient.isStaleConnection(false, true, false, closed)).isFalse();
    assertThat(HttpFunctionClient.isStaleConnection(true, true, true, closed)).isFalse();
    // other failures are not about the connection's age
    assertThat(
            HttpFunctionClient.isStaleConnection(
                true, true, false, new java.net.ConnectException("refused")))
        .isFalse();
    assertThat(
            HttpFunctionClient.isStaleConnection(
                true, true, false, new java.nio.channels.ClosedChannelException()))
        .isTrue();
    assertThat(
            HttpFunctionClient.isStaleConnection(
                true,
                true,
                false,
                new IOException("recvAddress(..) failed: Connection reset by peer")))
        .isTrue();
  }

  @Test
  void shouldClassifyTlsFailuresAsRetryable() {
    assertThat(
            HttpFunctionClient.classify(new javax.net.ssl.SSLHandshakeException("bad certificate")))
        .isEqualTo(Kind.TLS);
    assertThat(Kind.TLS.retryable()).isTrue();
    assertThat(HttpFunctionClient.classify(new java.net.ConnectException("refused")))
        .isEqualTo(Kind.CONNECT);
    assertThat(HttpFunctionClient.classify(new java.util.concurrent.TimeoutException()))
        .isEqualTo(Kind.TIMEOUT);
    assertThat(Duration.ofMillis(1)).isPositive();
  }
}
