package io.kstatefun.runtime.testing;

import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Functions for timer and TTL tests, written with the kstatefun SDK and served by its {@link
 * FunctionServer}. Commands arrive as UTF-8 ingress payloads (value type {@code timer/command}):
 *
 * <ul>
 *   <li>{@code timer/scheduler}: {@code schedule KEY DELAY_MS [TOKEN]} sends {@code
 *       KEY|SCHEDULED_AT|DELAY_MS} to {@code timer/receiver} id {@code KEY} after the delay; {@code
 *       cancel TOKEN} cancels; {@code spawn N DELAY_MS PREFIX} schedules N messages to ids {@code
 *       PREFIX-0 .. PREFIX-(N-1)}, {@code spawnsame N DELAY_MS KEY} N messages to id KEY (for
 *       measurements with many timers).
 *   <li>{@code timer/receiver}: remembers when each key first arrived ({@link #firstArrival}) and
 *       emits {@code KEY|SCHEDULED_AT|DELAY_MS|RECEIVED_AT} keyed by KEY.
 *   <li>{@code ttl/holder}: value {@code w} expires 2 s after write, value {@code c} 2 s after the
 *       last call. {@code set VALUE} writes both, {@code touch} writes nothing, {@code get TAG}
 *       emits {@code ID|TAG|W|C} ({@code -} for an absent value).
 * </ul>
 *
 * <p>Threading: functions run on the server's worker threads; {@link #firstArrival} is concurrent.
 */
public final class TimerFunctions implements AutoCloseable {

  public static final TypeName SCHEDULER = TypeName.of("timer", "scheduler");
  public static final TypeName RECEIVER = TypeName.of("timer", "receiver");
  public static final TypeName HOLDER = TypeName.of("ttl", "holder");
  public static final TypeName EGRESS = TypeName.of("timer", "out");
  public static final Duration TTL = Duration.ofSeconds(2);

  private static final ValueSpec<String> WRITTEN =
      ValueSpec.named("w").thatExpiresAfterWrite(TTL).withUtf8StringType();
  private static final ValueSpec<String> CALLED =
      ValueSpec.named("c").thatExpiresAfterCall(TTL).withUtf8StringType();

  /** Key -> wall-clock time (ms) of its first delivery to the receiver. */
  public final Map<String, Long> firstArrival = new ConcurrentHashMap<>();

  /** Scheduler command -> wall-clock time (ms) of its first execution, for diagnosing failures. */
  public final Map<String, Long> executed = new ConcurrentHashMap<>();

  /** Messages delivered to the receiver (invocations, so re-deliveries count again). */
  public final java.util.concurrent.atomic.AtomicLong received =
      new java.util.concurrent.atomic.AtomicLong();

  private final FunctionServer server;

  public TimerFunctions(String egressTopic) {
    FunctionRegistry registry =
        FunctionRegistry.of(
            StatefulFunctionSpec.builder(SCHEDULER).withSupplier(() -> this::schedule).build(),
            StatefulFunctionSpec.builder(RECEIVER)
                .withSupplier(() -> (context, message) -> receive(context, message, egressTopic))
                .build(),
            StatefulFunctionSpec.builder(HOLDER)
                .withValueSpecs(WRITTEN, CALLED)
                .withSupplier(() -> (context, message) -> hold(context, message, egressTopic))
                .build());
    server =
        new FunctionServer(
                registry,
                FunctionServerOptions.defaults()
                    .withHost("127.0.0.1")
                    .withShutdownTimeout(Duration.ofSeconds(2)))
            .listen(0);
  }

  public String urlTemplate() {
    return "http://127.0.0.1:" + server.port() + "/{function.name}";
  }

  private static String text(Message message) {
    return new String(message.rawValue(), StandardCharsets.UTF_8);
  }

  private java.util.concurrent.CompletableFuture<Void> schedule(Context context, Message message) {
    String[] cmd = text(message).split(" ");
    long now = System.currentTimeMillis();
    executed.putIfAbsent(context.self().id() + ": " + text(message), now);
    switch (cmd[0]) {
      case "schedule" -> {
        String key = cmd[1];
        long delay = Long.parseLong(cmd[2]);
        Message delayed =
            MessageBuilder.forAddress(RECEIVER, key)
                .withValue(key + "|" + now + "|" + delay)
                .build();
        if (cmd.length > 3) {
          context.sendAfter(Duration.ofMillis(delay), cmd[3], delayed);
        } else {
          context.sendAfter(Duration.ofMillis(delay), delayed);
        }
      }
      case "cancel" -> context.cancelDelayedMessage(cmd[1]);
      case "spawn", "spawnsame" -> {
        int n = Integer.parseInt(cmd[1]);
        long delay = Long.parseLong(cmd[2]);
        for (int i = 0; i < n; i++) {
          String key = cmd[0].equals("spawn") ? cmd[3] + "-" + i : cmd[3];
          context.sendAfter(
              Duration.ofMillis(delay),
              MessageBuilder.forAddress(RECEIVER, key)
                  .withValue(key + "|" + now + "|" + delay)
                  .build());
        }
      }
      default -> throw new IllegalArgumentException("unknown command " + cmd[0]);
    }
    return context.done();
  }

  private java.util.concurrent.CompletableFuture<Void> receive(
      Context context, Message message, String topic) {
    long now = System.currentTimeMillis();
    String payload = message.asUtf8String();
    String key = payload.substring(0, payload.indexOf('|'));
    firstArrival.putIfAbsent(key, now);
    received.incrementAndGet();
    context.send(
        KafkaEgressMessage.forEgress(EGRESS)
            .withTopic(topic)
            .withUtf8Key(key)
            .withUtf8Value(payload + "|" + now)
            .build());
    return context.done();
  }

  private static java.util.concurrent.CompletableFuture<Void> hold(
      Context context, Message message, String topic) {
    String[] cmd = text(message).split(" ");
    switch (cmd[0]) {
      case "set" -> {
        context.storage().set(WRITTEN, cmd[1]);
        context.storage().set(CALLED, cmd[1]);
      }
      case "touch" -> {}
      case "get" ->
          context.send(
              KafkaEgressMessage.forEgress(EGRESS)
                  .withTopic(topic)
                  .withUtf8Key(context.self().id())
                  .withUtf8Value(
                      context.self().id()
                          + "|"
                          + cmd[1]
                          + "|"
                          + context.storage().get(WRITTEN).orElse("-")
                          + "|"
                          + context.storage().get(CALLED).orElse("-"))
                  .build());
      default -> throw new IllegalArgumentException("unknown command " + cmd[0]);
    }
    return context.done();
  }

  /** A module.yaml: one endpoint for timer/* and ttl/*, an ingress routing commands by type. */
  public static Path writeModule(
      Path dir, String urlTemplate, String bootstrap, String schedulerTopic, String holderTopic)
      throws IOException {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: timer/*",
            "  urlPathTemplate: " + urlTemplate,
            "  transport:",
            "    call: 30s",
            "---",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: ttl/*",
            "  urlPathTemplate: " + urlTemplate,
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: timer/in",
            "  address: " + bootstrap,
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + schedulerTopic,
            "      valueType: timer/command",
            "      targets:",
            "        - timer/scheduler",
            "    - topic: " + holderTopic,
            "      valueType: timer/command",
            "      targets:",
            "        - ttl/holder",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: timer/out",
            "  address: " + bootstrap,
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            "");
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Override
  public void close() {
    server.close();
  }
}
