package io.kstatefun.routing;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An ingress record that cannot be routed to any function. The {@link #reason()} is
 * machine-readable (for dead-letter headers and metrics); the message names the topic, the
 * ingresses that declare it and what was expected.
 *
 * <p>This is a checked exception on purpose: a record that cannot be routed must be handled (sent
 * to a dead-letter topic, skipped or reported) by the caller, never allowed to crash the stream
 * thread by accident. The router does not know the partition and offset of the record; callers add
 * them when they report the failure. No stack trace is captured, since these failures are expected
 * data errors and may be frequent.
 */
public final class RoutingException extends Exception {

  /** Why a record could not be routed. */
  public enum Reason {
    /** The record has no key; the key is the function id. */
    NULL_KEY,
    /** The record key has zero bytes. */
    EMPTY_KEY,
    /** The record key is not valid UTF-8. */
    INVALID_KEY,
    /** The record has no value (a tombstone). */
    NULL_VALUE,
    /** No ingress declares the topic the record came from. */
    UNDECLARED_TOPIC,
    /** The record value is larger than the ingress's {@code maxRecordBytes}. */
    RECORD_TOO_LARGE,
    /** The headers the record would carry to the functions exceed the runtime's header cap. */
    HEADERS_TOO_LARGE
  }

  private final Reason reason;
  private final String topic;
  private final List<TypeName> ingressIds;

  /**
   * Creates the exception.
   *
   * @param reason why the record could not be routed
   * @param topic the topic the record came from
   * @param ingressIds the ingresses that declare the topic (empty for {@link
   *     Reason#UNDECLARED_TOPIC})
   * @param detail a human-readable explanation, appended to the message
   */
  public RoutingException(Reason reason, String topic, List<TypeName> ingressIds, String detail) {
    super(message(reason, topic, ingressIds, detail), null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.ingressIds = List.copyOf(ingressIds);
  }

  /** Returns why the record could not be routed. */
  public Reason reason() {
    return reason;
  }

  /** Returns the topic the record came from. */
  public String topic() {
    return topic;
  }

  /** Returns the ingresses that declare the topic; empty for {@link Reason#UNDECLARED_TOPIC}. */
  public List<TypeName> ingressIds() {
    return ingressIds;
  }

  private static String message(
      Reason reason, String topic, List<TypeName> ingressIds, String detail) {
    StringBuilder message = new StringBuilder("Cannot route a record from topic '");
    message.append(topic).append('\'');
    if (!ingressIds.isEmpty()) {
      message
          .append(ingressIds.size() == 1 ? " (ingress " : " (ingresses ")
          .append(ingressIds.stream().map(TypeName::toString).collect(Collectors.joining(", ")))
          .append(')');
    }
    return message.append(": ").append(reason).append(": ").append(detail).toString();
  }
}
