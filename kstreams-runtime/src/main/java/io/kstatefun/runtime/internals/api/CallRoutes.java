package io.kstatefun.runtime.internals.api;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.ApiAddresses;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.proto.ApiReply;
import io.kstatefun.runtime.internals.proto.ApiRequest;
import io.kstatefun.runtime.internals.proto.ApiWaiter;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The call routes of the HTTP API: {@code POST /call/{ns}/{type}/{id}}, {@code POST
 * /send/{ns}/{type}/{id}[?delay=]} and {@code GET /invocations/{id}[?wait=false]}
 * (docs/http-api.md).
 *
 * <p>Any instance serves any address: the request becomes an {@link Envelope} with an {@link
 * ApiRequest}, written (idempotent producer, {@code acks=all}) to the loopback partition of the
 * target, whose task records the invocation, delivers the message and answers through the replies
 * topic ({@link ApiReplies}). A call's caller is {@code kstatefun.api/call-<invocation>/<id>}
 * ({@link ApiAddresses}); a send has none.
 *
 * <p>Threading: requests arrive on a Vert.x event loop; the producer's callbacks (its I/O thread)
 * and the answers (the {@link ApiReplies} reader) hand their result back to the request's context
 * with {@link Context#runOnContext}; each exchange is answered once ({@link Exchange#done}).
 */
public final class CallRoutes implements ApiRoutes, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CallRoutes.class);
  static final String STATEFUN_TYPE = "Statefun-Type";
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  static final String INVOCATION_ID = "KStatefun-Invocation-Id";
  static final String REQUEST_TIMEOUT = "Request-Timeout";
  private static final int MAX_KEY_LENGTH = 255;

  /**
   * Settings of the call routes.
   *
   * @param loopbackTopic where requests are written
   * @param numPartitions the address partitions (the loopback topic's)
   * @param repliesTopic where answers come back
   * @param callTimeoutMs default time a call or attach waits before answering 202
   * @param maxPendingCalls most waiting requests of this instance (beyond: 429)
   * @param maxRecordBytes most bytes of a message record (beyond: 413)
   */
  public record Settings(
      String loopbackTopic,
      int numPartitions,
      String repliesTopic,
      long callTimeoutMs,
      int maxPendingCalls,
      long maxRecordBytes) {}

  private final Vertx vertx;
  private final Settings settings;
  private final Predicate<FunctionType> served;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ApiReplies replies;
  private final LongSupplier clock;

  /**
   * Creates the routes and positions the answer reader; requests may come once this returned.
   *
   * @param served whether an endpoint serves a function type (else 404)
   * @param producerProperties client settings of the request producer (bootstrap, security)
   * @param consumerProperties client settings of the answer reader
   */
  public CallRoutes(
      Vertx vertx,
      Settings settings,
      Predicate<FunctionType> served,
      Map<String, Object> producerProperties,
      Map<String, Object> consumerProperties,
      LongSupplier clock) {
    this.vertx = vertx;
    this.settings = settings;
    this.served = served;
    this.clock = clock;
    Map<String, Object> p = new java.util.HashMap<>(producerProperties);
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "0");
    p.remove("transactional.id");
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.replies = new ApiReplies(consumerProperties, settings.repliesTopic());
    try {
      replies.start();
    } catch (RuntimeException e) {
      producer.close();
      replies.close();
      throw e;
    }
  }

  @Override
  public boolean handle(HttpServerRequest request) {
    String path = request.path();
    if (path.startsWith("/call/")) {
      onCall(request, "call", ApiRequest.Kind.CALL, path.substring("/call/".length()));
    } else if (path.startsWith("/send/")) {
      onCall(request, "send", ApiRequest.Kind.SEND, path.substring("/send/".length()));
    } else if (path.startsWith("/invocations/")) {
      onInvocation(request, path.substring("/invocations/".length()));
    } else {
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------

  /** One HTTP exchange: answered exactly once, on its own context. */
  private final class Exchange {
    final HttpServerRequest request;
    final String route;
    final Context context = Vertx.currentContext();
    final AtomicBoolean done = new AtomicBoolean();
    volatile String callId;
    volatile long timer = -1;

    Exchange(HttpServerRequest request, String route) {
      this.request = request;
      this.route = route;
    }

    /** Answers with {@code status} and a JSON body, unless answered already. Any thread. */
    void json(int status, JsonObject body) {
      finish(
          status, r -> r.putHeader("Content-Type", "application/json").end(body.encode() + "\n"));
    }

    void error(int status, String message) {
      json(status, new JsonObject().put("error", message));
    }

    /** An error the client may retry after a second ({@code Retry-After: 1}). */
    void retryableError(int status, String message) {
      finish(
          status,
          r ->
              r.putHeader("Retry-After", "1")
                  .putHeader("Content-Type", "application/json")
                  .end(new JsonObject().put("error", message).encode() + "\n"));
    }

    void finish(int status, java.util.function.Consumer<HttpServerResponse> write) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      if (callId != null) {
        replies.forget(callId);
      }
      Runnable answer =
          () -> {
            if (timer >= 0) {
              vertx.cancelTimer(timer);
            }
            HttpServerResponse response = request.response();
            if (response.ended() || response.closed()) {
              return;
            }
            response.setStatusCode(status);
            write.accept(response);
          };
      if (context == null || Vertx.currentContext() == context) {
        answer.run();
      } else {
        context.runOnContext(v -> answer.run());
      }
    }
  }

  private void onCall(HttpServerRequest request, String route, ApiRequest.Kind kind, String rest) {
    Exchange ex = new Exchange(request, route);
    if (request.method() != HttpMethod.POST) {
      request.response().putHeader("Allow", "POST");
      ex.error(405, "use POST for /" + route);
      return;
    }
    Address target;
    try {
      target = address(rest);
    } catch (IllegalArgumentException e) {
      ex.error(400, e.getMessage());
      return;
    }
    if (!served.test(target.type())) {
      ex.error(404, "no endpoint serves function type " + target.type());
      return;
    }
    String key = request.getHeader(IDEMPOTENCY_KEY);
    if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH)) {
      ex.error(400, "Idempotency-Key must have 1 to " + MAX_KEY_LENGTH + " characters");
      return;
    }
    long timeoutMs;
    long delayMs;
    try {
      timeoutMs = timeout(request);
      String delay = request.getParam("delay");
      delayMs = delay == null ? 0 : Durations.parseMillis(delay);
      if (delayMs > 0 && kind != ApiRequest.Kind.SEND) {
        throw new IllegalArgumentException("delay is only for /send");
      }
    } catch (IllegalArgumentException e) {
      ex.error(400, e.getMessage());
      return;
    }
    String length = request.getHeader("Content-Length");
    if (length != null && parseLong(length) > settings.maxRecordBytes()) {
      ex.error(413, "the body has " + length + " bytes; at most " + settings.maxRecordBytes());
      return;
    }
    Buffer body = Buffer.buffer();
    AtomicBoolean tooLarge = new AtomicBoolean();
    request.handler(
        chunk -> {
          if (!tooLarge.get()) {
            body.appendBuffer(chunk);
            if (body.length() > settings.maxRecordBytes()) {
              tooLarge.set(true);
            }
          }
        });
    request.exceptionHandler(e -> ex.error(400, "reading the body failed: " + e.getMessage()));
    request.endHandler(
        v -> {
          if (tooLarge.get()) {
            ex.error(413, "the body has more than " + settings.maxRecordBytes() + " bytes");
            return;
          }
          submit(ex, kind, target, key, timeoutMs, delayMs, body.getBytes());
        });
  }

  private void submit(
      Exchange ex,
      ApiRequest.Kind kind,
      Address target,
      String key,
      long timeoutMs,
      long delayMs,
      byte[] body) {
    TypedValue argument;
    try {
      argument =
          ApiMessages.toMessage(
              ex.request.getHeader(STATEFUN_TYPE), ex.request.getHeader("Content-Type"), body);
    } catch (ApiMessages.BadMessageException e) {
      ex.error(400, e.getMessage());
      return;
    }
    String invocationId =
        ApiAddresses.invocationId(target, key == null ? UUID.randomUUID().toString() : key);
    String publicId = ApiAddresses.publicId(invocationId, target.id());
    ApiRequest.Builder request =
        ApiRequest.newBuilder()
            .setKind(kind)
            .setInvocationId(invocationId)
            .setBodyHash(
                ByteString.copyFrom(
                    ApiAddresses.bodyHash(
                        argument.getTypename(), argument.getValue().toByteArray())));
    if (delayMs > 0) {
      request.setDueMs(clock.getAsLong() + delayMs);
    }
    // A send without a key is answered once Kafka has it; everything else waits for the task.
    boolean waits = kind == ApiRequest.Kind.CALL || key != null;
    if (waits && !register(ex, request, publicId)) {
      return;
    }
    Envelope.Builder envelope =
        Envelope.newBuilder().setTarget(target.toProto()).setArgument(argument);
    if (kind == ApiRequest.Kind.CALL) {
      envelope.setCaller(ApiAddresses.caller(invocationId, target.id()));
    }
    Envelope record = envelope.setApiRequest(request).build();
    if (Dispatcher.messageRecordBytes(record) > settings.maxRecordBytes()) {
      ex.error(
          413,
          "the message would be a record of "
              + Dispatcher.messageRecordBytes(record)
              + " bytes; at most "
              + settings.maxRecordBytes());
      return;
    }
    write(
        ex,
        target.id(),
        record,
        () -> {
          if (!waits) {
            ex.json(202, new JsonObject().put("status", "accepted"));
          } else {
            arm(ex, timeoutMs, publicId);
          }
        });
  }

  private void onInvocation(HttpServerRequest request, String publicId) {
    Exchange ex = new Exchange(request, "invocations");
    if (request.method() != HttpMethod.GET) {
      request.response().putHeader("Allow", "GET");
      ex.error(405, "use GET for /invocations/{id}");
      return;
    }
    io.kstatefun.protocol.Address caller = ApiAddresses.fromPublicId(publicId);
    if (caller == null) {
      ex.error(400, "'" + publicId + "' is not an invocation id");
      return;
    }
    long timeoutMs;
    try {
      timeoutMs = timeout(request);
    } catch (IllegalArgumentException e) {
      ex.error(400, e.getMessage());
      return;
    }
    boolean wait = !"false".equalsIgnoreCase(request.getParam("wait"));
    ApiRequest.Builder req =
        ApiRequest.newBuilder()
            .setKind(wait ? ApiRequest.Kind.ATTACH : ApiRequest.Kind.PEEK)
            .setInvocationId(ApiAddresses.invocationOf(caller));
    if (!register(ex, req, publicId)) {
      return;
    }
    Envelope record = Envelope.newBuilder().setTarget(caller).setApiRequest(req).build();
    write(ex, caller.getId(), record, () -> arm(ex, wait ? timeoutMs : 30_000, publicId));
  }

  /** Registers the exchange as waiting for an answer; false (answered 429) when too many wait. */
  private boolean register(Exchange ex, ApiRequest.Builder request, String publicId) {
    if (replies.pending() >= settings.maxPendingCalls()) {
      ex.retryableError(
          429,
          "this instance already holds "
              + replies.pending()
              + " waiting requests (kstatefun.api.max.pending.calls)");
      return false;
    }
    ex.callId = replies.await(reply -> answer(ex, reply, publicId));
    request.setWaiter(
        ApiWaiter.newBuilder().setReplyPartition(replies.partition()).setCallId(ex.callId));
    return true;
  }

  /** Writes the request to the target's loopback partition; {@code then} runs once Kafka has it. */
  private void write(Exchange ex, String targetId, Envelope record, Runnable then) {
    int partition = AddressPartitioner.partition(targetId, settings.numPartitions());
    producer.send(
        new ProducerRecord<>(
            settings.loopbackTopic(),
            partition,
            targetId.getBytes(StandardCharsets.UTF_8),
            record.toByteArray()),
        (meta, error) -> {
          if (error != null) {
            LOG.warn(
                "Writing an HTTP API request to {}-{} failed: {}",
                settings.loopbackTopic(),
                partition,
                error.toString());
            ex.retryableError(503, "Kafka did not take the request: " + error.getMessage());
          } else {
            then.run();
          }
        });
  }

  /** After {@code timeoutMs} without an answer: 202 with the invocation's location. */
  private void arm(Exchange ex, long timeoutMs, String publicId) {
    Runnable expire =
        () ->
            ex.finish(
                202,
                r ->
                    r.putHeader("Location", "/invocations/" + publicId)
                        .putHeader(INVOCATION_ID, publicId)
                        .putHeader("Content-Type", "application/json")
                        .end(
                            new JsonObject()
                                    .put("invocationId", publicId)
                                    .put("status", "running")
                                    .encode()
                                + "\n"));
    if (timeoutMs <= 0) {
      expire.run();
      return;
    }
    Runnable setTimer = () -> ex.timer = vertx.setTimer(timeoutMs, t -> expire.run());
    if (ex.context == null) {
      setTimer.run();
    } else {
      ex.context.runOnContext(v -> setTimer.run());
    }
  }

  /** An answer arrived from the task (reader thread). */
  private void answer(Exchange ex, ApiReply reply, String publicId) {
    int status = reply.getStatus();
    if (status == 200) {
      ex.finish(
          200,
          r -> {
            r.putHeader(INVOCATION_ID, publicId);
            if (reply.hasReply()) {
              ApiMessages.Body body = ApiMessages.toBody(reply.getReply());
              r.putHeader(STATEFUN_TYPE, reply.getReply().getTypename())
                  .putHeader("Content-Type", body.contentType())
                  .end(Buffer.buffer(body.bytes()));
            } else {
              r.end();
            }
          });
      return;
    }
    JsonObject json = new JsonObject().put("invocationId", publicId);
    if (status == 202) {
      json.put("status", reply.getError().equals("running") ? "running" : "accepted");
    } else {
      json.put("error", reply.getError());
    }
    ex.finish(
        status,
        r ->
            (status == 429 ? r.putHeader("Retry-After", "1") : r)
                .putHeader(INVOCATION_ID, publicId)
                .putHeader("Content-Type", "application/json")
                .end(json.encode() + "\n"));
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** The address of {@code ns/type/id} (URL-encoded segments; the id is the rest of the path). */
  static Address address(String rest) {
    String[] parts = rest.split("/", 3);
    if (parts.length < 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
      throw new IllegalArgumentException("expected /{namespace}/{type}/{id}, got '/" + rest + "'");
    }
    String ns = decode(parts[0]);
    String type = decode(parts[1]);
    String id = decode(parts[2]);
    if (ApiAddresses.NAMESPACE.equals(ns)) {
      throw new IllegalArgumentException("the namespace " + ns + " is reserved");
    }
    return new Address(new FunctionType(ns, type), id);
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The request's timeout: {@code ?timeout=} or {@code Request-Timeout}, else the default. */
  private long timeout(HttpServerRequest request) {
    String t = request.getParam("timeout");
    if (t == null) {
      t = request.getHeader(REQUEST_TIMEOUT);
    }
    return t == null ? settings.callTimeoutMs() : Durations.parseMillis(t);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    replies.close();
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
