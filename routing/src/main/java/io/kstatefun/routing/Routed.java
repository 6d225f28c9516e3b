package io.kstatefun.routing;

import io.kstatefun.protocol.TypedValue;
import java.util.Objects;

/**
 * One delivery produced by the {@link IngressRouter}: the address to invoke and the argument to
 * invoke it with.
 *
 * @param target the function instance that receives the message
 * @param argument the record value wrapped as a {@link TypedValue} of the ingress topic's value
 *     type
 */
public record Routed(Address target, TypedValue argument) {

  /** Validates that both components are present. */
  public Routed {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(argument, "argument");
  }
}
