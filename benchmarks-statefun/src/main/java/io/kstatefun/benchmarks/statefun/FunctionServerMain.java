package io.kstatefun.benchmarks.statefun;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.apache.flink.statefun.sdk.java.slice.Slice;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.apache.flink.statefun.sdk.java.types.SimpleType;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * The benchmark functions {@code bench/counter} and {@code bench/chain} written with the official
 * StateFun Java SDK 3.3.0, served by the JDK's HTTP server at {@code /statefun}. Same contract as
 * kstatefun's benchmark functions: a message {@code seq,sendNanos,route}, a persisted {@code count}
 * incremented per message, then {@code seq,sendNanos,count} to the egress topic (key = own id) when
 * the route is empty, else the message to the route's next hop {@code type@id} with the rest of the
 * route.
 *
 * <p>Arguments: {@code PORT EGRESS_TOPIC}. Prints {@code BENCH ready port=N} when it listens; exits
 * when its standard input closes. Threading: the HTTP server's pool runs the SDK handler; the
 * functions keep no shared state.
 */
public final class FunctionServerMain {

  static final TypeName EGRESS = TypeName.typeNameFromString("bench/out");
  static final Type<byte[]> PAYLOAD =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString("bench/payload"), b -> b, b -> b);
  static final ValueSpec<Long> COUNT = ValueSpec.named("count").withLongType();

  private FunctionServerMain() {}

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    String egressTopic = args[1];
    StatefulFunctions functions = new StatefulFunctions();
    for (String name : new String[] {"counter", "chain"}) {
      functions.withStatefulFunction(
          StatefulFunctionSpec.builder(TypeName.typeNameFromString("bench/" + name))
              .withValueSpec(COUNT)
              .withSupplier(() -> new Hop(egressTopic)));
    }
    RequestReplyHandler handler = functions.requestReplyHandler();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    server.setExecutor(pool);
    server.createContext("/statefun", exchange -> serve(handler, exchange));
    server.start();
    System.out.println("BENCH ready port=" + server.getAddress().getPort());
    System.out.flush();
    // Never outlive the driver: exit when standard input (a pipe from the driver) closes.
    while (System.in.read() >= 0) {
      // discard
    }
    server.stop(0);
    System.exit(0);
  }

  private static void serve(RequestReplyHandler handler, HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    Slice reply;
    try {
      reply = handler.handle(Slices.wrap(body)).join();
    } catch (RuntimeException e) {
      e.printStackTrace(System.out);
      byte[] msg = String.valueOf(e).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, msg.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(msg);
      }
      return;
    }
    byte[] bytes = reply.toByteArray();
    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** One invocation of {@code bench/counter} or {@code bench/chain}. */
  static final class Hop implements StatefulFunction {
    private final String egressTopic;

    Hop(String egressTopic) {
      this.egressTopic = egressTopic;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> apply(Context context, Message message) {
      String payload = new String(message.rawValue().toByteArray(), StandardCharsets.UTF_8);
      int a = payload.indexOf(',');
      int b = payload.indexOf(',', a + 1);
      if (a <= 0 || b < 0) {
        throw new IllegalArgumentException("not a benchmark record: " + payload);
      }
      String head = payload.substring(0, b); // seq,sendNanos
      String route = payload.substring(b + 1);
      long count = context.storage().get(COUNT).orElse(0L) + 1;
      context.storage().set(COUNT, count);
      if (route.isEmpty()) {
        context.send(
            KafkaEgressMessage.forEgress(EGRESS)
                .withTopic(egressTopic)
                .withUtf8Key(context.self().id())
                .withUtf8Value(head + "," + count)
                .build());
      } else {
        int semi = route.indexOf(';');
        String next = semi < 0 ? route : route.substring(0, semi);
        String rest = semi < 0 ? "" : route.substring(semi + 1);
        int at = next.indexOf('@');
        context.send(
            MessageBuilder.forAddress(
                    TypeName.typeNameFromString("bench/" + next.substring(0, at)),
                    next.substring(at + 1))
                .withCustomType(PAYLOAD, (head + "," + rest).getBytes(StandardCharsets.UTF_8))
                .build());
      }
      return context.done();
    }
  }
}
