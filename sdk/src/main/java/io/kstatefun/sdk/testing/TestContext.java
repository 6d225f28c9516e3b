package io.kstatefun.sdk.testing;

import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.AddressScopedStorage;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.EgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.internals.AddressStorage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Context} for unit tests: invoke a function directly, without a runtime or HTTP, then
 * inspect its state and the messages it sent.
 *
 * <pre>{@code
 * TestContext context = TestContext.forFunction(GREETER_SPEC, "alice");
 * context.storage().set(SEEN, 2);
 *
 * context.invoke(MessageBuilder.forAddress(context.self()).withValue("hi").build());
 *
 * assertThat(context.storage().get(SEEN)).contains(3);
 * assertThat(context.sentMessages()).containsExactly(expectedReply);
 * }</pre>
 *
 * <p>A context made with {@link #forFunction} accepts only the values the spec declares, like the
 * real SDK; one made with {@link #forTarget} accepts any value. Values set before the invocation
 * are its initial state. Effects accumulate across invocations until {@link #clearEffects()}.
 *
 * <p>Threading: safe to use from the function's asynchronous continuations; inspect it from the
 * test thread after the invocation completed.
 */
public final class TestContext implements Context {
  private final Address self;
  private final StatefulFunctionSpec spec;
  private final AddressStorage storage;
  private final List<Message> sent = new ArrayList<>();
  private final List<DelayedMessage> delayed = new ArrayList<>();
  private final List<String> cancelled = new ArrayList<>();
  private final List<EgressMessage> egress = new ArrayList<>();
  private Address caller;

  private TestContext(Address self, StatefulFunctionSpec spec, AddressStorage storage) {
    this.self = self;
    this.spec = spec;
    this.storage = storage;
  }

  /**
   * A context for the function declared by {@code spec} at the address with the given id. Only
   * declared values may be used; {@link #invoke} creates the function with the spec's supplier.
   */
  public static TestContext forFunction(StatefulFunctionSpec spec, String id) {
    Objects.requireNonNull(spec, "spec");
    Address self = new Address(spec.typeName(), id);
    return new TestContext(
        self,
        spec,
        AddressStorage.declared(
            "function " + spec.typeName() + " at address " + self, spec.valueSpecs(), Map.of()));
  }

  /** A context for any function at {@code self}; any value may be used. */
  public static TestContext forTarget(Address self) {
    Objects.requireNonNull(self, "self");
    return new TestContext(self, null, AddressStorage.undeclared("address " + self));
  }

  /** Sets the caller seen by the next invocations; null means "from an ingress". */
  public synchronized TestContext withCaller(Address caller) {
    this.caller = caller;
    return this;
  }

  /**
   * Invokes a new instance of the spec's function with {@code message} and waits (up to 30 seconds)
   * for it to complete.
   *
   * @throws IllegalStateException if this context was not made with {@link #forFunction}
   * @throws Exception whatever the function threw or failed its future with
   */
  public void invoke(Message message) throws Exception {
    if (spec == null) {
      throw new IllegalStateException(
          "invoke() needs a context made with TestContext.forFunction(spec, id); call"
              + " function.apply(context, message) directly instead");
    }
    invoke(spec.supplier().get(), message);
  }

  /**
   * Invokes {@code function} with {@code message} and waits (up to 30 seconds) for it to complete.
   *
   * @throws Exception whatever the function threw or failed its future with
   */
  public void invoke(StatefulFunction function, Message message) throws Exception {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(message, "message");
    CompletableFuture<Void> future;
    try {
      future = function.apply(this, message);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new ExecutionException(t);
    }
    if (future == null) {
      throw new IllegalStateException("The function returned a null future");
    }
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof Exception exception) {
        throw exception;
      }
      throw e;
    } catch (TimeoutException e) {
      throw new TimeoutException("The function did not complete within 30 seconds");
    }
  }

  @Override
  public Address self() {
    return self;
  }

  @Override
  public synchronized Optional<Address> caller() {
    return Optional.ofNullable(caller);
  }

  /** The values of {@link #self()}; set values here before invoking to give initial state. */
  @Override
  public AddressScopedStorage storage() {
    return storage;
  }

  @Override
  public synchronized void send(Message message) {
    sent.add(Objects.requireNonNull(message, "message"));
  }

  @Override
  public void sendAfter(Duration delay, Message message) {
    record(delay, message, Optional.empty());
  }

  @Override
  public void sendAfter(Duration delay, String cancellationToken, Message message) {
    requireToken(cancellationToken);
    record(delay, message, Optional.of(cancellationToken));
  }

  @Override
  public synchronized void cancelDelayedMessage(String cancellationToken) {
    requireToken(cancellationToken);
    cancelled.add(cancellationToken);
  }

  @Override
  public synchronized void send(EgressMessage message) {
    egress.add(Objects.requireNonNull(message, "message"));
  }

  /** Messages sent with {@link #send(Message)}, in order. */
  public synchronized List<Message> sentMessages() {
    return List.copyOf(sent);
  }

  /**
   * Messages sent with {@code sendAfter}, in order. Cancellations do not remove them, because the
   * runtime may also cancel messages sent by earlier invocations; see {@link #cancelledTokens()}.
   */
  public synchronized List<DelayedMessage> delayedMessages() {
    return List.copyOf(delayed);
  }

  /** Tokens passed to {@link #cancelDelayedMessage(String)}, in order. */
  public synchronized List<String> cancelledTokens() {
    return List.copyOf(cancelled);
  }

  /** Egress messages (including Kafka records), in order. */
  public synchronized List<EgressMessage> egressMessages() {
    return List.copyOf(egress);
  }

  /** Forgets the recorded messages; the state is kept. */
  public synchronized void clearEffects() {
    sent.clear();
    delayed.clear();
    cancelled.clear();
    egress.clear();
  }

  private synchronized void record(
      Duration delay, Message message, Optional<String> cancellationToken) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("A delay cannot be negative, got " + delay);
    }
    delayed.add(new DelayedMessage(delay, message, cancellationToken));
  }

  private static void requireToken(String cancellationToken) {
    if (cancellationToken == null || cancellationToken.isEmpty()) {
      throw new IllegalArgumentException("A cancellation token cannot be null or empty");
    }
  }
}
