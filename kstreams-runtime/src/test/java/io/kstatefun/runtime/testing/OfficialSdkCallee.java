package io.kstatefun.runtime.testing;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.slice.Slices;

/**
 * A function written only against the official {@code org.apache.flink:statefun-sdk-java:3.3.0}
 * that answers HTTP API calls the StateFun way, by sending to its caller: {@code
 * example/api-counter} keeps an int {@code count} per id, adds the message (an {@code
 * io.statefun.types/int}, or 1 for any other type) and sends the new count as an {@code
 * io.statefun.types/int} to its caller, if it has one.
 */
public final class OfficialSdkCallee {

  public static final TypeName COUNTER = TypeName.typeNameFromString("example/api-counter");
  private static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();

  private OfficialSdkCallee() {}

  /** The request-reply handler, as bytes in, future of bytes out. */
  public static Function<byte[], CompletableFuture<byte[]>> handler() {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(COUNTER)
            .withValueSpecs(COUNT)
            .withSupplier(() -> OfficialSdkCallee::apply));
    RequestReplyHandler handler = functions.requestReplyHandler();
    return bytes -> handler.handle(Slices.wrap(bytes)).thenApply(s -> s.toByteArray());
  }

  private static CompletableFuture<Void> apply(Context context, Message message) {
    int add = message.isInt() ? message.asInt() : 1;
    int count = context.storage().get(COUNT).orElse(0) + add;
    context.storage().set(COUNT, count);
    context
        .caller()
        .ifPresent(
            caller -> context.send(MessageBuilder.forAddress(caller).withValue(count).build()));
    return context.done();
  }
}
