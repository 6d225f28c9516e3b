package io.kstatefun.runtime.internals.http;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.Address;
import java.util.concurrent.CompletableFuture;

/**
 * Calls remote functions. Implementations retry what is retryable within their budget; the returned
 * future completes with the function's answer or fails with a {@link FunctionCallException} that
 * says why and after how many attempts.
 *
 * <p>Threading: {@link #call} is invoked by stream threads; the future completes on a client
 * thread, so callers must only hand the result over, never touch stores from the callback.
 */
public interface FunctionClient extends AutoCloseable {

  /** The answer of a call and how many HTTP requests it took. */
  record Reply(FromFunction response, int attempts) {}

  CompletableFuture<Reply> call(Address target, ToFunction request);

  @Override
  void close();
}
