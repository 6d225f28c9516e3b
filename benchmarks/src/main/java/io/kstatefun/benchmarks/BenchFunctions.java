package io.kstatefun.benchmarks;

import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The benchmark's functions, written with the kstatefun SDK. Every one is a counter: it reads a
 * message {@code seq,sendNanos,route} (see {@link Payload}), increments its persisted {@code count}
 * and then either emits {@code seq,sendNanos,count} to the egress (empty route, key = its own id),
 * passes the message on to the route's next hop, or fans it out.
 *
 * <ul>
 *   <li>{@code bench/counter}, {@code bench/chain}, {@code bench/a|b|c}: the fast counter (the
 *       names only tell workloads apart).
 *   <li>{@code bench/fanout}: counts, then sends the message to {@code N} {@code bench/counter}
 *       leaves.
 *   <li>{@code bench/slow}: the counter, but each invocation completes only after a delay (default
 *       50 ms), asynchronously: no server thread waits.
 *   <li>{@code bench/call-counter}: counts and replies the count to its caller (the {@code /call}
 *       benchmark of the HTTP API).
 *   <li>{@code bench/big}: the counter with a second value of {@code stateBytes} (default 10 KiB)
 *       that is read and rewritten on every invocation.
 * </ul>
 */
public final class BenchFunctions {

  public static final String NAMESPACE = "bench";
  public static final TypeName EGRESS = TypeName.of(NAMESPACE, "out");

  /** The type name of ingress payloads. */
  public static final String PAYLOAD_TYPE = NAMESPACE + "/payload";

  static final ValueSpec<Long> COUNT = ValueSpec.named("count").withLongType();
  static final Type<byte[]> BYTES =
      Types.simpleType(TypeName.of(NAMESPACE, "bytes"), b -> b, b -> b);
  static final ValueSpec<byte[]> BLOB = ValueSpec.named("blob").withType(BYTES);

  private BenchFunctions() {}

  /**
   * The registry of all benchmark functions.
   *
   * @param egressTopic the Kafka topic the counters emit to (read per invocation, so a long-lived
   *     server can serve run after run)
   * @param slowDelayMs delay of each {@code bench/slow} invocation
   * @param stateBytes size of {@code bench/big}'s blob
   * @param timers the scheduler that completes slow invocations
   */
  public static FunctionRegistry registry(
      Supplier<String> egressTopic,
      long slowDelayMs,
      int stateBytes,
      ScheduledExecutorService timers) {
    List<StatefulFunctionSpec> specs = new ArrayList<>();
    for (String name : List.of("counter", "chain", "a", "b", "c", "fanout")) {
      specs.add(
          StatefulFunctionSpec.builder(TypeName.of(NAMESPACE, name))
              .withValueSpecs(COUNT)
              .withSupplier(() -> new Hop(egressTopic, 0, 0, null))
              .build());
    }
    specs.add(
        StatefulFunctionSpec.builder(TypeName.of(NAMESPACE, "slow"))
            .withValueSpecs(COUNT)
            .withSupplier(() -> new Hop(egressTopic, slowDelayMs, 0, timers))
            .build());
    specs.add(
        StatefulFunctionSpec.builder(TypeName.of(NAMESPACE, "big"))
            .withValueSpecs(COUNT, BLOB)
            .withSupplier(() -> new Hop(egressTopic, 0, stateBytes, null))
            .build());
    specs.add(
        StatefulFunctionSpec.builder(TypeName.of(NAMESPACE, "call-counter"))
            .withValueSpecs(COUNT)
            .withSupplier(() -> CALL_COUNTER)
            .build());
    return FunctionRegistry.of(specs.toArray(StatefulFunctionSpec[]::new));
  }

  /**
   * {@code bench/call-counter}: counts and answers the caller (an HTTP API call) with the count.
   */
  static final StatefulFunction CALL_COUNTER =
      (context, message) -> {
        long count = context.storage().get(COUNT).orElse(0L) + 1;
        context.storage().set(COUNT, count);
        context.reply(count);
        return context.done();
      };

  /** One invocation of any benchmark function. */
  static final class Hop implements StatefulFunction {
    private final Supplier<String> egressTopic;
    private final long delayMs;
    private final int stateBytes;
    private final ScheduledExecutorService timers;

    Hop(
        Supplier<String> egressTopic,
        long delayMs,
        int stateBytes,
        ScheduledExecutorService timers) {
      this.egressTopic = egressTopic;
      this.delayMs = delayMs;
      this.stateBytes = stateBytes;
      this.timers = timers;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      Payload.Parsed in = Payload.parse(message.rawValue());
      long count = context.storage().get(COUNT).orElse(0L) + 1;
      context.storage().set(COUNT, count);
      if (stateBytes > 0) {
        byte[] blob = context.storage().get(BLOB).orElseGet(() -> new byte[stateBytes]);
        if (blob.length != stateBytes) {
          blob = new byte[stateBytes];
        }
        blob[(int) (count % stateBytes)] ^= 1;
        for (int i = 0; i < 8; i++) {
          blob[i] = (byte) (count >>> (8 * i));
        }
        context.storage().set(BLOB, blob);
      }
      String route = in.rest();
      String self = context.self().id();
      if (route.isEmpty()) {
        context.send(
            KafkaEgressMessage.forEgress(EGRESS)
                .withTopic(egressTopic.get())
                .withUtf8Key(self)
                .withValue(Payload.egress(in.seq(), in.sendNanos(), count))
                .build());
      } else if (route.charAt(0) == '*') {
        int fanout = Integer.parseInt(route, 1, route.length(), 10);
        for (int j = 0; j < fanout; j++) {
          context.send(hop("counter", self + "." + j, in.seq(), in.sendNanos(), ""));
        }
      } else {
        int semi = route.indexOf(';');
        String next = semi < 0 ? route : route.substring(0, semi);
        String rest = semi < 0 ? "" : route.substring(semi + 1);
        int at = next.indexOf('@');
        context.send(
            hop(next.substring(0, at), next.substring(at + 1), in.seq(), in.sendNanos(), rest));
      }
      if (delayMs <= 0) {
        return context.done();
      }
      CompletableFuture<Void> done = new CompletableFuture<>();
      timers.schedule(() -> done.complete(null), delayMs, TimeUnit.MILLISECONDS);
      return done;
    }

    private static Message hop(String type, String id, long seq, long sendNanos, String route) {
      return MessageBuilder.forAddress(TypeName.of(NAMESPACE, type), id)
          .withValue(BYTES_PAYLOAD, Payload.encode(seq, sendNanos, route))
          .build();
    }
  }

  /** Messages between benchmark functions carry the same raw payload as ingress records. */
  static final Type<byte[]> BYTES_PAYLOAD =
      Types.simpleType(TypeName.of(NAMESPACE, "payload"), b -> b, b -> b);

  /** A single-threaded scheduler for slow invocations. */
  static ScheduledExecutorService timers() {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "bench-slow-timer");
          t.setDaemon(true);
          return t;
        });
  }
}
