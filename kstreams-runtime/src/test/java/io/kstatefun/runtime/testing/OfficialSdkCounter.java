package io.kstatefun.runtime.testing;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
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
 * Test functions written only against the official {@code
 * org.apache.flink:statefun-sdk-java:3.3.0}.
 *
 * <ul>
 *   <li>{@code example/counter}: keeps an int {@code count} per id; for each message (a UTF-8
 *       payload of typename {@code example/payload}) it increments the count and sends {@code
 *       "<id>:<count>:<payload>"} to {@code example/forwarder} with id {@code <id>-fwd}.
 *   <li>{@code example/forwarder}: keeps an int {@code seen}; emits {@code "<text>|<seen>"} keyed
 *       by the counter's id to the Kafka egress {@code example/out}, topic {@code egressTopic}.
 * </ul>
 */
public final class OfficialSdkCounter {

  public static final TypeName COUNTER = TypeName.typeNameFromString("example/counter");
  public static final TypeName FORWARDER = TypeName.typeNameFromString("example/forwarder");
  public static final TypeName EGRESS = TypeName.typeNameFromString("example/out");
  public static final Type<String> PAYLOAD =
      SimpleType.simpleImmutableTypeFrom(
          TypeName.typeNameFromString("example/payload"),
          s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          b -> new String(b, java.nio.charset.StandardCharsets.UTF_8));
  private static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();
  private static final ValueSpec<Integer> SEEN = ValueSpec.named("seen").withIntType();

  private OfficialSdkCounter() {}

  /** The request-reply handler of both functions, as bytes in, future of bytes out. */
  public static Function<byte[], CompletableFuture<byte[]>> handler(String egressTopic) {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(COUNTER).withValueSpecs(COUNT).withSupplier(Counter::new));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(FORWARDER)
            .withValueSpecs(SEEN)
            .withSupplier(() -> new Forwarder(egressTopic)));
    RequestReplyHandler handler = functions.requestReplyHandler();
    return bytes -> handler.handle(Slices.wrap(bytes)).thenApply(s -> s.toByteArray());
  }

  private static final class Counter implements StatefulFunction {
    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      int count = context.storage().get(COUNT).orElse(0) + 1;
      context.storage().set(COUNT, count);
      String id = context.self().id();
      String payload = message.as(PAYLOAD);
      context.send(
          MessageBuilder.forAddress(FORWARDER, id + "-fwd")
              .withCustomType(PAYLOAD, id + ":" + count + ":" + payload)
              .build());
      return context.done();
    }
  }

  private static final class Forwarder implements StatefulFunction {
    private final String topic;

    Forwarder(String topic) {
      this.topic = topic;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      int seen = context.storage().get(SEEN).orElse(0) + 1;
      context.storage().set(SEEN, seen);
      String text = message.as(PAYLOAD);
      String counterId = text.substring(0, text.indexOf(':'));
      context.send(
          KafkaEgressMessage.forEgress(EGRESS)
              .withTopic(topic)
              .withUtf8Key(counterId)
              .withUtf8Value(text + "|" + seen)
              .build());
      return context.done();
    }
  }
}
