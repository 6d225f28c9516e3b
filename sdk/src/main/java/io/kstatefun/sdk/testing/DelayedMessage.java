package io.kstatefun.sdk.testing;

import io.kstatefun.sdk.Message;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A message sent with {@link io.kstatefun.sdk.Context#sendAfter}, as recorded by {@link
 * TestContext}.
 *
 * @param delay the delay
 * @param message the message
 * @param cancellationToken the token it can be cancelled with, if any
 */
public record DelayedMessage(Duration delay, Message message, Optional<String> cancellationToken) {

  /** Creates a record; no part may be null. */
  public DelayedMessage {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(cancellationToken, "cancellationToken");
  }
}
