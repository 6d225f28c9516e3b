package io.kstatefun.sdk.internals;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.AddressScopedStorage;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.EgressMessage;
import io.kstatefun.sdk.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link Context} of one batch: collects the effects of all its invocations in the order they
 * are issued, and turns them into one {@code InvocationResponse} when the batch is done.
 *
 * <p>Threading: the batch runner sets the caller between invocations; functions may call any method
 * from any thread while their invocation runs. All methods are synchronized. After {@link
 * #finish()} every effect method throws.
 */
public final class BatchContext implements Context {
  private final Address self;
  private final AddressStorage storage;
  private final List<FromFunction.Invocation> messages = new ArrayList<>();
  private final List<FromFunction.DelayedInvocation> delayed = new ArrayList<>();
  private final List<FromFunction.EgressMessage> egresses = new ArrayList<>();
  private Address caller;
  private boolean finished;

  /** A context for a batch to {@code self}. */
  public BatchContext(Address self, AddressStorage storage) {
    this.self = Objects.requireNonNull(self, "self");
    this.storage = Objects.requireNonNull(storage, "storage");
  }

  /** Sets the caller of the invocation about to run; null for an ingress message. */
  public synchronized void setCaller(Address caller) {
    this.caller = caller;
  }

  @Override
  public Address self() {
    return self;
  }

  @Override
  public synchronized Optional<Address> caller() {
    return Optional.ofNullable(caller);
  }

  @Override
  public AddressScopedStorage storage() {
    return storage;
  }

  @Override
  public synchronized void send(Message message) {
    Objects.requireNonNull(message, "message");
    checkRunning();
    messages.add(
        FromFunction.Invocation.newBuilder()
            .setTarget(ProtocolAddresses.toProtocol(message.targetAddress()))
            .setArgument(message.typedValue())
            .build());
  }

  @Override
  public synchronized void sendAfter(Duration delay, Message message) {
    Objects.requireNonNull(message, "message");
    checkRunning();
    delayed.add(delayedInvocation(delay, message).build());
  }

  @Override
  public synchronized void sendAfter(Duration delay, String cancellationToken, Message message) {
    Objects.requireNonNull(message, "message");
    checkToken(cancellationToken);
    checkRunning();
    delayed.add(delayedInvocation(delay, message).setCancellationToken(cancellationToken).build());
  }

  @Override
  public synchronized void cancelDelayedMessage(String cancellationToken) {
    checkToken(cancellationToken);
    checkRunning();
    delayed.add(
        FromFunction.DelayedInvocation.newBuilder()
            .setIsCancellationRequest(true)
            .setCancellationToken(cancellationToken)
            .build());
  }

  @Override
  public synchronized void send(EgressMessage message) {
    Objects.requireNonNull(message, "message");
    checkRunning();
    egresses.add(
        FromFunction.EgressMessage.newBuilder()
            .setEgressNamespace(message.targetEgress().namespace())
            .setEgressType(message.targetEgress().name())
            .setArgument(message.typedValue())
            .build());
  }

  /** Ends the batch and returns its effects; later effect calls throw. */
  public synchronized FromFunction.InvocationResponse finish() {
    finished = true;
    return FromFunction.InvocationResponse.newBuilder()
        .addAllStateMutations(storage.mutations())
        .addAllOutgoingMessages(messages)
        .addAllDelayedInvocations(delayed)
        .addAllOutgoingEgresses(egresses)
        .build();
  }

  /** Ends the batch without effects (it failed); later effect calls throw. */
  public synchronized void abandon() {
    finished = true;
  }

  private static FromFunction.DelayedInvocation.Builder delayedInvocation(
      Duration delay, Message message) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("A delay cannot be negative, got " + delay);
    }
    return FromFunction.DelayedInvocation.newBuilder()
        .setDelayInMs(delay.toMillis())
        .setTarget(ProtocolAddresses.toProtocol(message.targetAddress()))
        .setArgument(message.typedValue());
  }

  private static void checkToken(String cancellationToken) {
    if (cancellationToken == null || cancellationToken.isEmpty()) {
      throw new IllegalArgumentException("A cancellation token cannot be null or empty");
    }
  }

  private void checkRunning() {
    if (finished) {
      throw new IllegalStateException(
          "The invocation of "
              + self
              + " has already completed; its context can no longer be"
              + " used (did the function complete its future before its last send?)");
    }
  }
}
