package io.kstatefun.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Behaviour of the core beyond the shared conformance cases, mostly errors specific to us. */
@Timeout(30)
class RequestReplyHandlerTest {
  private static final TypeName FN = TypeName.of("example", "fn");
  private static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();

  /** A JSON-mapped state value. */
  public record Profile(String name, List<String> tags) {}

  private static final ValueSpec<Profile> PROFILE =
      ValueSpec.named("profile")
          .withType(Types.jsonType(TypeName.of("example", "profile"), Profile.class));

  private static RequestReplyHandler handler(
      Supplier<? extends StatefulFunction> supplier, ValueSpec<?>... specs) {
    return FunctionRegistry.of(
            StatefulFunctionSpec.builder(FN).withValueSpecs(specs).withSupplier(supplier).build())
        .requestReplyHandler();
  }

  private static ToFunction.InvocationBatchRequest.Builder batch(String id) {
    return ToFunction.InvocationBatchRequest.newBuilder()
        .setTarget(
            io.kstatefun.protocol.Address.newBuilder()
                .setNamespace(FN.namespace())
                .setType(FN.name())
                .setId(id));
  }

  private static ToFunction.Invocation invocation(Message message) {
    return ToFunction.Invocation.newBuilder().setArgument(message.typedValue()).build();
  }

  private static Message string(String value) {
    return MessageBuilder.forAddress(FN, "x").withValue(value).build();
  }

  private static ToFunction.PersistedValue state(String name, TypedValue value) {
    ToFunction.PersistedValue.Builder state =
        ToFunction.PersistedValue.newBuilder().setStateName(name);
    if (value != null) {
      state.setStateValue(value);
    }
    return state.build();
  }

  private static FromFunction call(
      RequestReplyHandler handler, ToFunction.InvocationBatchRequest.Builder batch)
      throws Exception {
    return handler
        .handle(ToFunction.newBuilder().setInvocation(batch).build())
        .get(10, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(
      RequestReplyHandler handler, ToFunction.InvocationBatchRequest.Builder batch) {
    CompletableFuture<FromFunction> response =
        handler.handle(ToFunction.newBuilder().setInvocation(batch).build());
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> response.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void shouldStoreAndReadJsonStateThroughTheProtocol() throws Exception {
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  Profile old = context.storage().get(PROFILE).orElseThrow();
                  List<String> tags = new ArrayList<>(old.tags());
                  tags.add(message.asUtf8String());
                  context.storage().set(PROFILE, new Profile(old.name(), tags));
                  return context.done();
                },
            PROFILE);
    TypedValue stored =
        TypedValue.newBuilder()
            .setTypename("example/profile")
            .setHasValue(true)
            .setValue(ByteString.copyFromUtf8("{\"name\":\"alice\",\"tags\":[\"a\"]}"))
            .build();

    FromFunction response =
        call(
            handler,
            batch("alice")
                .addState(state("profile", stored))
                .addInvocations(invocation(string("b"))));

    PersistedValueMutation mutation = response.getInvocationResult().getStateMutations(0);
    assertThat(mutation.getMutationType()).isEqualTo(PersistedValueMutation.MutationType.MODIFY);
    assertThat(mutation.getStateValue().getTypename()).isEqualTo("example/profile");
    assertThat(mutation.getStateValue().getValue().toStringUtf8())
        .isEqualTo("{\"name\":\"alice\",\"tags\":[\"a\",\"b\"]}");
  }

  @Test
  void shouldRejectReadingAStateStoredUnderAnotherType() {
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().get(COUNT);
                  return context.done();
                },
            COUNT);
    TypedValue storedAsLong =
        TypedValue.newBuilder()
            .setTypename("io.statefun.types/long")
            .setHasValue(true)
            .setValue(ByteString.copyFrom(Types.longType().typeSerializer().serialize(5L)))
            .build();

    Throwable error =
        failureOf(
            handler,
            batch("a")
                .addState(state("count", storedAsLong))
                .addInvocations(invocation(string("go"))));

    assertThat(error).isInstanceOf(FunctionInvocationException.class);
    assertThat(error.getCause()).isInstanceOf(IllegalStorageAccessException.class);
    assertThat(error.getMessage())
        .contains("example/fn/a")
        .contains("io.statefun.types/long")
        .contains("io.statefun.types/int");
  }

  @Test
  void shouldNameTheDeclaredStatesWhenAFunctionUsesAnUndeclaredOne() {
    ValueSpec<String> undeclared = ValueSpec.named("secret").withUtf8StringType();
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().set(undeclared, "x");
                  return context.done();
                },
            COUNT);

    Throwable error =
        failureOf(
            handler,
            batch("a").addState(state("count", null)).addInvocations(invocation(string("go"))));

    assertThat(error.getCause()).isInstanceOf(IllegalStorageAccessException.class);
    assertThat(error.getMessage())
        .contains("'secret'")
        .contains("[count]")
        .contains("example/fn/a");
  }

  @Test
  void shouldRejectADeclaredStateAccessedWithAnotherType() {
    ValueSpec<String> sameNameOtherType = ValueSpec.named("count").withUtf8StringType();
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().get(sameNameOtherType);
                  return context.done();
                },
            COUNT);

    Throwable error =
        failureOf(
            handler,
            batch("a").addState(state("count", null)).addInvocations(invocation(string("go"))));

    assertThat(error.getMessage())
        .contains("declared as io.statefun.types/int")
        .contains("accessed as io.statefun.types/string");
  }

  @Test
  void shouldRejectStoringNull() {
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().set(COUNT, null);
                  return context.done();
                },
            COUNT);

    Throwable error =
        failureOf(
            handler,
            batch("a").addState(state("count", null)).addInvocations(invocation(string("go"))));

    assertThat(error.getMessage()).contains("cannot store null").contains("remove()");
  }

  @Test
  void shouldReportAFailingStateSerializerWithStateAndFunction() {
    Type<String> broken =
        Types.simpleType(
            TypeName.of("example", "broken"),
            value -> {
              throw new IllegalArgumentException("cannot encode " + value);
            },
            bytes -> "");
    ValueSpec<String> spec = ValueSpec.named("label").withType(broken);
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().set(spec, "v");
                  return context.done();
                },
            spec);

    Throwable error =
        failureOf(
            handler,
            batch("a").addState(state("label", null)).addInvocations(invocation(string("go"))));

    assertThat(error.getMessage())
        .contains("state 'label'")
        .contains("example/fn/a")
        .contains("example/broken")
        .contains("cannot encode v");
  }

  @Test
  void shouldRejectUsingTheContextAfterTheInvocationCompleted() throws Exception {
    AtomicReference<Context> leaked = new AtomicReference<>();
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  leaked.set(context);
                  return context.done();
                });

    call(handler, batch("a").addInvocations(invocation(string("go"))));

    assertThatThrownBy(() -> leaked.get().send(string("late")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example/fn/a")
        .hasMessageContaining("already completed");
  }

  @Test
  void shouldRejectNegativeDelaysAndEmptyCancellationTokens() {
    AtomicReference<Throwable> negative = new AtomicReference<>();
    AtomicReference<Throwable> empty = new AtomicReference<>();
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  try {
                    context.sendAfter(Duration.ofMillis(-1), string("x"));
                  } catch (IllegalArgumentException e) {
                    negative.set(e);
                  }
                  try {
                    context.cancelDelayedMessage("");
                  } catch (IllegalArgumentException e) {
                    empty.set(e);
                  }
                  return context.done();
                });

    assertThat(
            handler.handle(
                ToFunction.newBuilder()
                    .setInvocation(batch("a").addInvocations(invocation(string("go"))))
                    .build()))
        .succeedsWithin(Duration.ofSeconds(5));
    assertThat(negative.get()).hasMessageContaining("negative");
    assertThat(empty.get()).hasMessageContaining("cancellation token");
  }

  @Test
  void shouldCreateAFunctionInstancePerRequest() throws Exception {
    AtomicInteger instances = new AtomicInteger();
    RequestReplyHandler handler =
        handler(
            () -> {
              instances.incrementAndGet();
              return (context, message) -> context.done();
            });

    call(
        handler,
        batch("a").addInvocations(invocation(string("1"))).addInvocations(invocation(string("2"))));
    call(handler, batch("b").addInvocations(invocation(string("3"))));

    assertThat(instances).hasValue(2);
  }

  @Test
  void shouldReportASupplierReturningNull() {
    RequestReplyHandler handler = handler(() -> null);

    Throwable error = failureOf(handler, batch("a").addInvocations(invocation(string("go"))));

    assertThat(error)
        .isInstanceOf(FunctionInvocationException.class)
        .hasMessageContaining("supplier of function example/fn returned null");
  }

  @Test
  void shouldRunLongSynchronousBatchesWithoutDeepRecursion() throws Exception {
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  context.storage().set(COUNT, context.storage().get(COUNT).orElse(0) + 1);
                  return context.done();
                },
            COUNT);
    ToFunction.InvocationBatchRequest.Builder batch = batch("a").addState(state("count", null));
    for (int i = 0; i < 20_000; i++) {
      batch.addInvocations(invocation(string("inc")));
    }

    FromFunction response = call(handler, batch);

    TypedValue value = response.getInvocationResult().getStateMutations(0).getStateValue();
    assertThat(Types.integerType().typeSerializer().deserialize(value.getValue().toByteArray()))
        .isEqualTo(20_000);
  }

  @Test
  void shouldHandleConcurrentRequestsIndependently() throws Exception {
    RequestReplyHandler handler =
        handler(
            () ->
                (context, message) -> {
                  int n = Integer.parseInt(context.self().id());
                  return CompletableFuture.runAsync(() -> context.storage().set(COUNT, n * 10));
                },
            COUNT);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<FromFunction>> responses = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        ToFunction request =
            ToFunction.newBuilder()
                .setInvocation(
                    batch(Integer.toString(i))
                        .addState(state("count", null))
                        .addInvocations(invocation(string("go"))))
                .build();
        responses.add(
            CompletableFuture.supplyAsync(() -> handler.handle(request), pool).thenCompose(f -> f));
      }
      for (int i = 0; i < 200; i++) {
        TypedValue value =
            responses
                .get(i)
                .get(10, TimeUnit.SECONDS)
                .getInvocationResult()
                .getStateMutations(0)
                .getStateValue();
        assertThat(Types.integerType().typeSerializer().deserialize(value.getValue().toByteArray()))
            .isEqualTo(i * 10);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
