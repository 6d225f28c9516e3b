package io.kstatefun.runtime.dispatch;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.routing.Address;

/**
 * How a remote call ended: the function's answer, or a failure after the client gave up.
 *
 * @param target the address called
 * @param requestId the id of the {@link Action.Invoke} that made the call
 * @param response the answer, or {@code null} on failure
 * @param failure why the call failed, or {@code null} on success
 * @param attempts how many HTTP requests were made
 */
public record CallOutcome(
    Address target, long requestId, FromFunction response, Throwable failure, int attempts) {

  public static CallOutcome success(Address target, long requestId, FromFunction response, int attempts) {
    return new CallOutcome(target, requestId, response, null, attempts);
  }

  public static CallOutcome failure(Address target, long requestId, Throwable failure, int attempts) {
    return new CallOutcome(target, requestId, null, failure, attempts);
  }

  public boolean succeeded() {
    return failure == null;
  }
}
