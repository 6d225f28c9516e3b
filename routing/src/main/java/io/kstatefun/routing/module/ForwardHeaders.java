package io.kstatefun.routing.module;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which Kafka record headers of an ingress topic travel with its messages to the functions (the
 * {@code forwardHeaders} key of Kafka ingress specs, at ingress and at topic level; the topic's
 * value wins, the default is off). The key and its precedence are those of the maintained StateFun
 * fork, so its module files parse unchanged; the allow-list form is a kstatefun extension.
 *
 * <pre>{@code
 * forwardHeaders: true                      # every header
 * forwardHeaders: false                     # none (the default)
 * forwardHeaders: [traceparent, x-tenant]   # only these keys (exact, case-sensitive)
 * }</pre>
 *
 * @param all whether every header is forwarded
 * @param allowed the keys forwarded when not {@code all}; empty with {@code all == false} means
 *     none
 */
public record ForwardHeaders(boolean all, Set<String> allowed) {

  /** Forward no header (the default). */
  public static final ForwardHeaders NONE = new ForwardHeaders(false, Set.of());

  /** Forward every header. */
  public static final ForwardHeaders ALL = new ForwardHeaders(true, Set.of());

  /** Validates and makes the allow-list immutable (keeping its order). */
  public ForwardHeaders {
    Objects.requireNonNull(allowed, "allowed");
    if (all && !allowed.isEmpty()) {
      throw new IllegalArgumentException("an allow-list cannot be combined with forwarding all");
    }
    allowed = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(allowed));
  }

  /** Forward only headers with one of {@code keys}. */
  public static ForwardHeaders only(List<String> keys) {
    return keys.isEmpty() ? NONE : new ForwardHeaders(false, new LinkedHashSet<>(keys));
  }

  /** Whether some header can be forwarded. */
  public boolean any() {
    return all || !allowed.isEmpty();
  }

  /** Whether a header with {@code key} is forwarded. */
  public boolean forwards(String key) {
    return all || allowed.contains(key);
  }

  /** As written in module files: {@code true}, {@code false} or the list of keys. */
  @Override
  public String toString() {
    return all ? "true" : allowed.isEmpty() ? "false" : allowed.toString();
  }
}
