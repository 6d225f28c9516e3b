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

  /**
   * Calls with a trace: every HTTP request carries {@code trace.traceparent()} as its W3C {@code
   * traceparent} header, retries are reported to it, and it is ended with the outcome.
   * Implementations that do not trace ignore it.
   */
  default CompletableFuture<Reply> call(Address target, ToFunction request, CallTrace trace) {
    return call(target, request);
  }

  /**
   * The HTTP client span of one call. Threading: used by client threads, one at a time per call.
   */
  interface CallTrace {
    /** The value of the {@code traceparent} header of the call's requests; {@code null}: none. */
    String traceparent();

    /**
     * Attempt {@code attempt} failed and will be retried.
     *
     * @param reason what went wrong (kind and detail)
     */
    void retry(int attempt, String reason);

    /**
     * The call ended.
     *
     * @param attempts how many HTTP requests it took
     * @param error why it failed, or {@code null}
     */
    void end(int attempts, Throwable error);
  }

  @Override
  void close();
}
