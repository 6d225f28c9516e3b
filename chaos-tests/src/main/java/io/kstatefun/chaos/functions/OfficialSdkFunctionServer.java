package io.kstatefun.chaos.functions;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.statefun.sdk.java.Address;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunction;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.io.KafkaEgressMessage;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.apache.flink.statefun.sdk.java.types.SimpleType;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * The function server of {@code chaos/official}, written only against the official {@code
 * statefun-sdk-java} 3.3.0 and served with the JDK's HTTP server, the way StateFun's docs serve it.
 * Faults ({@link FaultSwitch}) are injected at the HTTP layer: a stall delays the whole answer, a
 * failure answers 500 without calling the SDK.
 *
 * <p>Main class of its own process: {@code --events-topic T --egress-topic T [--port N]}.
 */
public final class OfficialSdkFunctionServer {

  static final TypeName TYPE =
      TypeName.typeNameFromString(
          ChaosMessage.NAMESPACE + "/" + FnAddress.Kind.OFFICIAL.typeName());
  static final TypeName EGRESS =
      TypeName.typeNameFromString(ChaosLogic.EGRESS_NAMESPACE + "/" + ChaosLogic.EGRESS_NAME);
  static final Type<byte[]> CMD =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString(ChaosMessage.TYPENAME), b -> b, b -> b);
  static final Type<byte[]> SEQS =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString(ChaosLogic.SEQS_TYPENAME), b -> b, b -> b);
  static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();
  static final ValueSpec<byte[]> SEQ_STATE = ValueSpec.named("seqs").withCustomType(SEQS);

  private OfficialSdkFunctionServer() {}

  public static void main(String[] args) throws IOException {
    ServerArgs options = ServerArgs.parse(args);
    ChaosLogic logic = new ChaosLogic(options.eventsTopic(), options.egressTopic());
    FaultSwitch faults = new FaultSwitch();
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(TYPE)
            .withValueSpecs(COUNT, SEQ_STATE)
            .withSupplier(() -> new Fn(logic)));
    RequestReplyHandler handler = functions.requestReplyHandler();

    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", options.port()), 128);
    ExecutorService executor = Executors.newFixedThreadPool(32);
    server.setExecutor(executor);
    server.createContext("/", exchange -> handle(exchange, handler, faults));
    server.start();
    faults.listen(System.in, System.out);
    System.out.println(ServerArgs.READY_PREFIX + server.getAddress().getPort());
    System.out.flush();
  }

  private static void handle(HttpExchange exchange, RequestReplyHandler handler, FaultSwitch faults)
      throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      long stall = faults.stallMs();
      if (stall > 0) {
        Thread.sleep(stall);
      }
      if (faults.takeFailure()) {
        byte[] msg = "injected failure".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, msg.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(msg);
        }
        return;
      }
      byte[] reply = handler.handle(Slices.wrap(body)).get().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, reply.length == 0 ? -1 : reply.length);
      if (reply.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(reply);
        }
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      byte[] msg = String.valueOf(e).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, msg.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(msg);
      }
    }
  }

  /** The chaos function over the official SDK's context. */
  private static final class Fn implements StatefulFunction {
    private final ChaosLogic logic;

    Fn(ChaosLogic logic) {
      this.logic = logic;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      FnAddress self = new FnAddress(FnAddress.Kind.OFFICIAL, context.self().id());
      ChaosMessage m = Json.message(message.as(CMD));
      ChaosLogic.State state =
          new ChaosLogic.State(
              context.storage().get(COUNT).orElse(0),
              context
                  .storage()
                  .get(SEQ_STATE)
                  .map(ChaosLogic::decodeSeqs)
                  .orElse(java.util.Map.of()));
      ChaosLogic.State next =
          logic.apply(self, state, m, System.currentTimeMillis(), new OfficialEffects(context));
      context.storage().set(COUNT, next.count());
      context.storage().set(SEQ_STATE, ChaosLogic.encodeSeqs(next.outSeqs()));
      return context.done();
    }
  }

  private record OfficialEffects(Context context) implements ChaosLogic.Effects {
    @Override
    public void send(FnAddress to, ChaosMessage message) {
      context.send(build(to, message));
    }

    @Override
    public void sendAfter(Duration delay, String token, FnAddress to, ChaosMessage message) {
      if (token == null) {
        context.sendAfter(delay, build(to, message));
      } else {
        context.sendAfter(delay, token, build(to, message));
      }
    }

    @Override
    public void cancel(String token) {
      context.cancelDelayedMessage(token);
    }

    @Override
    public void kafka(String topic, String key, byte[] value) {
      context.send(
          KafkaEgressMessage.forEgress(EGRESS)
              .withTopic(topic)
              .withUtf8Key(key)
              .withValue(value)
              .build());
    }

    private static Message build(FnAddress to, ChaosMessage message) {
      TypeName type =
          TypeName.typeNameFromString(ChaosMessage.NAMESPACE + "/" + to.kind().typeName());
      return MessageBuilder.forAddress(new Address(type, to.id()))
          .withCustomType(CMD, Json.bytes(message))
          .build();
    }
  }
}
