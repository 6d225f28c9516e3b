package io.kstatefun.sdk;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a function can see and do while it handles one message: its own address, the caller, its
 * persisted values, and sending messages to functions and egresses.
 *
 * <p>Effects are collected and returned to the runtime with the response of the whole batch, in the
 * order they were issued; the runtime applies them atomically. A context is valid until the future
 * returned by the function completes; using it afterwards throws {@link IllegalStateException}.
 *
 * <p>Threading: the SDK's contexts may be used from any thread (for example from an asynchronous
 * continuation) while the invocation runs.
 */
public interface Context {

  /** The address being invoked. */
  Address self();

  /** The function that sent the current message, or empty for a message from an ingress. */
  Optional<Address> caller();

  /** The persisted values of {@link #self()}. */
  AddressScopedStorage storage();

  /** Sends a message to a function (possibly this one). */
  void send(Message message);

  /**
   * Sends a message after a delay. The runtime delivers it with this address as the caller.
   *
   * @throws IllegalArgumentException if the delay is negative
   */
  void sendAfter(Duration delay, Message message);

  /**
   * Sends a message after a delay; the message can be cancelled with {@link
   * #cancelDelayedMessage(String)} until it is delivered.
   *
   * @throws IllegalArgumentException if the delay is negative or the token is empty
   */
  void sendAfter(Duration delay, String cancellationToken, Message message);

  /**
   * Cancels a delayed message sent with this token. Unknown or already delivered tokens are ignored
   * by the runtime.
   *
   * @throws IllegalArgumentException if the token is empty
   */
  void cancelDelayedMessage(String cancellationToken);

  /**
   * Answers the current message: sends {@code value} to its caller. This is how a function answers
   * a call of kstatefun's HTTP API ({@code POST /call/...}, whose caller is an address in the
   * reserved namespace {@code kstatefun.api}), and it is the same as {@code
   * send(MessageBuilder.forAddress(caller).withValue(type, value).build())}, so a function that
   * replies this way also answers a calling function.
   *
   * @return false, sending nothing, when the message has no caller (it came from an ingress or
   *     {@code POST /send})
   */
  default <T> boolean reply(io.kstatefun.sdk.types.Type<T> type, T value) {
    Optional<Address> caller = caller();
    caller.ifPresent(c -> send(MessageBuilder.forAddress(c).withValue(type, value).build()));
    return caller.isPresent();
  }

  /**
   * {@link #reply(io.kstatefun.sdk.types.Type, Object)} with an {@code io.statefun.types/string}.
   */
  default boolean reply(String value) {
    return reply(io.kstatefun.sdk.types.Types.stringType(), value);
  }

  /** {@link #reply(io.kstatefun.sdk.types.Type, Object)} with an {@code io.statefun.types/int}. */
  default boolean reply(int value) {
    return reply(io.kstatefun.sdk.types.Types.integerType(), value);
  }

  /** {@link #reply(io.kstatefun.sdk.types.Type, Object)} with an {@code io.statefun.types/long}. */
  default boolean reply(long value) {
    return reply(io.kstatefun.sdk.types.Types.longType(), value);
  }

  /** Sends a record to an egress. */
  void send(EgressMessage message);

  /** A completed future, the usual return value of a synchronous function. */
  default CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }
}
