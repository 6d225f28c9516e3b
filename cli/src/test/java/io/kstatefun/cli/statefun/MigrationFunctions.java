package io.kstatefun.cli.statefun;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The functions of the StateFun migration test, written only against the official {@code
 * statefun-sdk-java:3.3.0}, served over HTTP by {@link Server}: the same functions answer StateFun
 * first and kstatefun after the migration.
 *
 * <ul>
 *   <li>{@code migration/counter}: an int {@code count} and a string {@code last} (expires 1 hour
 *       after write); each message increments the count and emits {@code counter:<id>:<count>} (key
 *       {@code <id>}) to the Kafka egress {@code migration/out}.
 *   <li>{@code migration/reminder}: {@code schedule:<delayMs>} sends {@code fire} to itself after
 *       the delay with the cancellation token {@code r-<id>}; {@code cancel} cancels it; {@code
 *       fire} emits {@code reminder:<id>:fired} (key {@code <id>}). It keeps an int {@code
 *       scheduled}.
 * </ul>
 *
 * Messages are UTF-8 text of typename {@code migration/payload}.
 */
public final class MigrationFunctions {

  public static final TypeName COUNTER = TypeName.typeNameFromString("migration/counter");
  public static final TypeName REMINDER = TypeName.typeNameFromString("migration/reminder");
  public static final TypeName EGRESS = TypeName.typeNameFromString("migration/out");
  public static final Type<String> PAYLOAD =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString("migration/payload"),
          s -> s.getBytes(StandardCharsets.UTF_8),
          b -> new String(b, StandardCharsets.UTF_8));
  private static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();
  private static final ValueSpec<String> LAST =
      ValueSpec.named("last").thatExpireAfterWrite(Duration.ofHours(1)).withUtf8StringType();
  private static final ValueSpec<Integer> SCHEDULED = ValueSpec.named("scheduled").withIntType();

  private MigrationFunctions() {}

  /** Serves the functions on 127.0.0.1 (a free port) until closed. */
  public static final class Server implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final AtomicInteger reminderSchedules = new AtomicInteger();

    public Server(String egressTopic) throws IOException {
      RequestReplyHandler handler = handler(egressTopic, reminderSchedules);
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
      server.setExecutor(executor);
      server.createContext("/", exchange -> serve(exchange, handler));
      server.start();
    }

    /** The URL template for a module.yaml endpoint. */
    public String urlTemplate() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/{function.name}";
    }

    /** How many {@code schedule:} messages the reminder has handled (retries included). */
    public int reminderSchedules() {
      return reminderSchedules.get();
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  private static void serve(HttpExchange exchange, RequestReplyHandler handler) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      byte[] reply;
      try {
        reply = handler.handle(Slices.wrap(body)).get().toByteArray();
      } catch (Exception e) {
        e.printStackTrace();
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, reply.length == 0 ? -1 : reply.length);
      if (reply.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(reply);
        }
      }
    }
  }

  static RequestReplyHandler handler(String topic, AtomicInteger schedules) {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(COUNTER)
            .withValueSpecs(COUNT, LAST)
            .withSupplier(() -> new Counter(topic)));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(REMINDER)
            .withValueSpecs(SCHEDULED)
            .withSupplier(() -> new Reminder(topic, schedules)));
    return functions.requestReplyHandler();
  }

  private static final class Counter implements StatefulFunction {
    private final String topic;

    Counter(String topic) {
      this.topic = topic;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      int count = context.storage().get(COUNT).orElse(0) + 1;
      context.storage().set(COUNT, count);
      context.storage().set(LAST, message.as(PAYLOAD));
      String id = context.self().id();
      context.send(
          KafkaEgressMessage.forEgress(EGRESS)
              .withTopic(topic)
              .withUtf8Key(id)
              .withUtf8Value("counter:" + id + ":" + count)
              .build());
      return context.done();
    }
  }

  private static final class Reminder implements StatefulFunction {
    private final String topic;
    private final AtomicInteger schedules;

    Reminder(String topic, AtomicInteger schedules) {
      this.topic = topic;
      this.schedules = schedules;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      String text = message.as(PAYLOAD);
      String id = context.self().id();
      if (text.startsWith("schedule:")) {
        long delayMs = Long.parseLong(text.substring("schedule:".length()));
        context.storage().set(SCHEDULED, context.storage().get(SCHEDULED).orElse(0) + 1);
        context.sendAfter(
            Duration.ofMillis(delayMs),
            "r-" + id,
            MessageBuilder.forAddress(REMINDER, id).withCustomType(PAYLOAD, "fire").build());
        schedules.incrementAndGet();
      } else if (text.equals("cancel")) {
        context.cancelDelayedMessage("r-" + id);
      } else if (text.equals("fire")) {
        context.send(
            KafkaEgressMessage.forEgress(EGRESS)
                .withTopic(topic)
                .withUtf8Key(id)
                .withUtf8Value("reminder:" + id + ":fired")
                .build());
      }
      return context.done();
    }
  }
}
