package io.kstatefun.sdk.conformance;

import static io.kstatefun.sdk.conformance.ConformanceFunctions.COUNTER;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.EGRESS;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.KAFKA_EGRESS;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.KAFKA_TOPIC;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.MESSENGER;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.NAMESPACE;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.OBSERVER;
import static io.kstatefun.sdk.conformance.ConformanceFunctions.THROWER;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.statefun.sdk.java.Address;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.io.KafkaEgressMessage;
import org.apache.flink.statefun.sdk.java.message.EgressMessageBuilder;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;

/**
 * The conformance functions written with the official StateFun Java SDK 3.3.0; see {@link
 * ConformanceFunctions}.
 */
final class OfficialConformanceFunctions {
  static final TypeName COUNTER_TYPE = TypeName.typeNameOf(NAMESPACE, COUNTER);
  static final TypeName MESSENGER_TYPE = TypeName.typeNameOf(NAMESPACE, MESSENGER);
  static final TypeName THROWER_TYPE = TypeName.typeNameOf(NAMESPACE, THROWER);
  static final TypeName OBSERVER_TYPE = TypeName.typeNameOf(NAMESPACE, OBSERVER);

  static final ValueSpec<Integer> COUNT =
      ValueSpec.named("count").thatExpireAfterWrite(Duration.ofDays(1)).withIntType();
  static final ValueSpec<String> NOTE =
      ValueSpec.named("note").thatExpiresAfterCall(Duration.ofMinutes(10)).withUtf8StringType();

  private OfficialConformanceFunctions() {}

  static RequestReplyHandler handler() {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(COUNTER_TYPE)
            .withValueSpec(COUNT)
            .withValueSpec(NOTE)
            .withSupplier(() -> OfficialConformanceFunctions::counter));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(MESSENGER_TYPE)
            .withSupplier(() -> OfficialConformanceFunctions::messenger));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(THROWER_TYPE)
            .withSupplier(() -> OfficialConformanceFunctions::thrower));
    return functions.requestReplyHandler();
  }

  static CompletableFuture<Void> counter(Context context, Message message) {
    if (message.isInt()) {
      add(context, message.asInt());
      return context.done();
    }
    String command = message.asUtf8String();
    if (command.equals("reset")) {
      context.storage().remove(COUNT);
    } else if (command.equals("peek")) {
      int count = context.storage().get(COUNT).orElse(0);
      context.send(MessageBuilder.forAddress(replyTo(context)).withValue(count).build());
    } else if (command.startsWith("note:")) {
      context.storage().set(NOTE, command.substring("note:".length()));
    } else if (command.equals("forget")) {
      context.storage().remove(NOTE);
    } else if (command.startsWith("add-later:")) {
      int n = Integer.parseInt(command.substring("add-later:".length()));
      return CompletableFuture.runAsync(
          () -> add(context, n), CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
    } else {
      throw new IllegalArgumentException("Unknown counter command " + command);
    }
    return context.done();
  }

  static CompletableFuture<Void> messenger(Context context, Message message) {
    CompletableFuture<Void> chain = context.done();
    for (String command : message.asUtf8String().split(",")) {
      chain = chain.thenCompose(ignored -> messengerCommand(context, command));
    }
    return chain;
  }

  static CompletableFuture<Void> thrower(Context context, Message message) {
    switch (message.asUtf8String()) {
      case "ok":
        return context.done();
      case "throw":
        throw new IllegalStateException("boom");
      case "fail-async":
        return CompletableFuture.runAsync(
            () -> {
              throw new IllegalStateException("async boom");
            },
            CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
      case "null-future":
        return null;
      default:
        throw new IllegalArgumentException("Unknown thrower command " + message.asUtf8String());
    }
  }

  private static CompletableFuture<Void> messengerCommand(Context context, String command) {
    String id = context.self().id();
    Address counter = new Address(COUNTER_TYPE, id);
    if (command.equals("send")) {
      context.send(MessageBuilder.forAddress(counter).withValue(1).build());
    } else if (command.equals("reply")) {
      context.send(MessageBuilder.forAddress(replyTo(context)).withValue("ack").build());
    } else if (command.equals("delay")) {
      context.sendAfter(
          Duration.ofMillis(1500), MessageBuilder.forAddress(counter).withValue(2).build());
    } else if (command.startsWith("delay-token:")) {
      context.sendAfter(
          Duration.ofSeconds(60),
          command.substring("delay-token:".length()),
          MessageBuilder.forAddress(context.self()).withValue("wake-up").build());
    } else if (command.startsWith("cancel:")) {
      context.cancelDelayedMessage(command.substring("cancel:".length()));
    } else if (command.equals("egress")) {
      context.send(
          EgressMessageBuilder.forEgress(TypeName.typeNameOf(NAMESPACE, EGRESS))
              .withValue("hello " + id)
              .build());
    } else if (command.equals("kafka")) {
      context.send(
          KafkaEgressMessage.forEgress(TypeName.typeNameOf(NAMESPACE, KAFKA_EGRESS))
              .withTopic(KAFKA_TOPIC)
              .withUtf8Key(id)
              .withUtf8Value("hi " + id)
              .build());
    } else if (command.equals("kafka-nokey")) {
      context.send(
          KafkaEgressMessage.forEgress(TypeName.typeNameOf(NAMESPACE, KAFKA_EGRESS))
              .withTopic(KAFKA_TOPIC)
              .withUtf8Value("anonymous")
              .build());
    } else if (command.equals("async")) {
      return CompletableFuture.runAsync(
          () -> context.send(MessageBuilder.forAddress(counter).withValue(3).build()),
          CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
    } else {
      throw new IllegalArgumentException("Unknown messenger command " + command);
    }
    return context.done();
  }

  private static void add(Context context, int n) {
    context.storage().set(COUNT, context.storage().get(COUNT).orElse(0) + n);
  }

  private static Address replyTo(Context context) {
    return context.caller().orElse(new Address(OBSERVER_TYPE, context.self().id()));
  }
}
