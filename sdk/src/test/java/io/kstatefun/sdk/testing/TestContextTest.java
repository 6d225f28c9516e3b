package io.kstatefun.sdk.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.IllegalStorageAccessException;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Shows how a user unit-tests a function without a runtime. */
class TestContextTest {
  static final TypeName GREETER = TypeName.of("example", "greeter");
  static final TypeName GREETS = TypeName.of("example", "greets");
  static final ValueSpec<Integer> SEEN = ValueSpec.named("seen").withIntType();

  /** Greets on Kafka, counts visits, and schedules a reminder it cancels on the next visit. */
  static final class Greeter implements StatefulFunction {
    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      int seen = context.storage().get(SEEN).orElse(0) + 1;
      context.storage().set(SEEN, seen);
      String name = message.asUtf8String();
      context.send(
          KafkaEgressMessage.forEgress(GREETS)
              .withTopic("greetings")
              .withUtf8Key(context.self().id())
              .withUtf8Value("Hello " + name + " #" + seen)
              .build());
      context.cancelDelayedMessage("reminder-" + (seen - 1));
      context.sendAfter(
          Duration.ofHours(1),
          "reminder-" + seen,
          MessageBuilder.forAddress(context.self()).withValue("come back").build());
      context
          .caller()
          .ifPresent(
              caller -> context.send(MessageBuilder.forAddress(caller).withValue(seen).build()));
      return context.done();
    }
  }

  static final StatefulFunctionSpec SPEC =
      StatefulFunctionSpec.builder(GREETER).withValueSpecs(SEEN).withSupplier(Greeter::new).build();

  private static Message hello(TestContext context, String name) {
    return MessageBuilder.forAddress(context.self()).withValue(name).build();
  }

  @Test
  void shouldExposeStateAndEveryKindOfEffect() throws Exception {
    TestContext context = TestContext.forFunction(SPEC, "alice");
    context.storage().set(SEEN, 2);
    Address caller = Address.of("example", "front", "web-1");

    context.withCaller(caller).invoke(hello(context, "Alice"));

    assertThat(context.storage().get(SEEN)).contains(3);
    assertThat(context.egressMessages()).hasSize(1);
    assertThat(
            context.egressMessages().get(0).asKafkaProducerRecord().getValueBytes().toStringUtf8())
        .isEqualTo("Hello Alice #3");
    assertThat(context.egressMessages().get(0).asKafkaProducerRecord().getKey()).isEqualTo("alice");
    assertThat(context.cancelledTokens()).containsExactly("reminder-2");
    assertThat(context.delayedMessages())
        .containsExactly(
            new DelayedMessage(
                Duration.ofHours(1),
                MessageBuilder.forAddress(context.self()).withValue("come back").build(),
                Optional.of("reminder-3")));
    assertThat(context.sentMessages())
        .containsExactly(MessageBuilder.forAddress(caller).withValue(3).build());
  }

  @Test
  void shouldAccumulateEffectsAcrossInvocationsUntilCleared() throws Exception {
    TestContext context = TestContext.forFunction(SPEC, "bob");

    context.invoke(hello(context, "Bob"));
    context.invoke(hello(context, "Bob"));
    assertThat(context.egressMessages()).hasSize(2);
    assertThat(context.sentMessages()).as("no caller, no reply").isEmpty();

    context.clearEffects();
    assertThat(context.egressMessages()).isEmpty();
    assertThat(context.storage().get(SEEN)).as("state is kept").contains(2);
  }

  @Test
  void shouldReplyToTheCallerAndToNobodyWithoutOne() {
    Address caller = Address.of("kstatefun.api", "call-0123", "erin");
    TestContext called = TestContext.forTarget(Address.of("example", "greeter", "erin"));
    called.withCaller(caller);

    assertThat(called.reply("hi")).isTrue();
    assertThat(called.reply(7)).isTrue();

    assertThat(called.sentMessages()).hasSize(2);
    assertThat(called.sentMessages().get(0).targetAddress()).isEqualTo(caller);
    assertThat(called.sentMessages().get(0).asUtf8String()).isEqualTo("hi");
    assertThat(called.sentMessages().get(1).asInt()).isEqualTo(7);

    TestContext fromIngress = TestContext.forTarget(Address.of("example", "greeter", "frank"));
    assertThat(fromIngress.reply("hi")).isFalse();
    assertThat(fromIngress.sentMessages()).isEmpty();
  }

  @Test
  void shouldRejectStatesTheSpecDoesNotDeclare() {
    TestContext context = TestContext.forFunction(SPEC, "carol");
    ValueSpec<String> undeclared = ValueSpec.named("nickname").withUtf8StringType();

    assertThatThrownBy(() -> context.storage().set(undeclared, "c"))
        .isInstanceOf(IllegalStorageAccessException.class)
        .hasMessageContaining("'nickname'")
        .hasMessageContaining("example/greeter/carol");
  }

  @Test
  void shouldAcceptAnyStateForAPlainTarget() throws Exception {
    TestContext context = TestContext.forTarget(Address.of("example", "greeter", "dave"));

    context.invoke(new Greeter(), hello(context, "Dave"));

    assertThat(context.storage().get(SEEN)).contains(1);
    assertThatThrownBy(() -> context.invoke(hello(context, "again")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("forFunction");
  }

  @Test
  void shouldWaitForAsynchronousFunctionsAndRethrowTheirFailure() throws Exception {
    TestContext context = TestContext.forTarget(Address.of("example", "async", "e"));
    StatefulFunction async =
        (ctx, message) ->
            CompletableFuture.runAsync(() -> ctx.storage().set(SEEN, message.asInt()));
    StatefulFunction failing =
        (ctx, message) ->
            CompletableFuture.runAsync(
                () -> {
                  throw new IllegalArgumentException("bad input " + message.asInt());
                });

    context.invoke(async, MessageBuilder.forAddress(context.self()).withValue(7).build());
    assertThat(context.storage().get(SEEN)).contains(7);

    assertThatThrownBy(
            () ->
                context.invoke(
                    failing, MessageBuilder.forAddress(context.self()).withValue(8).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad input 8");
  }
}
