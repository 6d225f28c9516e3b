package io.kstatefun.sdk;

import java.util.concurrent.CompletableFuture;

/**
 * A stateful function: handles one message for one address.
 *
 * <p>A synchronous function does its work and returns {@link Context#done()}. An asynchronous
 * function returns a future that completes when its work is done; the next message of the batch is
 * handled only after that, and sees the state this one left. Throwing, or completing the future
 * exceptionally, fails the whole batch (the runtime retries it).
 *
 * <p>Instances come from the supplier in the {@link StatefulFunctionSpec}, one per request, so a
 * function may keep fields for the duration of a batch but must not rely on them across batches;
 * keep durable data in {@link Context#storage()}.
 */
@FunctionalInterface
public interface StatefulFunction {

  /**
   * Handles {@code message}.
   *
   * @return a future completing when the message has been handled; never null
   */
  CompletableFuture<Void> apply(Context context, Message message) throws Throwable;
}
