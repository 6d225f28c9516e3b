package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.module.ForwardHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Takes the headers of an ingress record that travel with its messages: those the topic's {@code
 * forwardHeaders} selects, and, when tracing is on, the W3C trace context ({@code traceparent},
 * {@code tracestate}, {@code baggage}) whatever the topic says. Kafka's semantics are kept: the
 * record's order, duplicate keys, and a null value apart from an empty one ({@code has_value}).
 *
 * <p>A topic that forwards nothing, with tracing off, costs nothing: the record's headers are not
 * even looked at.
 *
 * <p>Threading: immutable; shared by the stream threads.
 */
final class IngressHeaders {

  /** The W3C trace context headers, captured whenever tracing is on. */
  static final List<String> TRACE_CONTEXT = List.of("traceparent", "tracestate", "baggage");

  private final int maxBytes;
  private final boolean tracing;

  /**
   * @param maxBytes most bytes (keys in UTF-8 plus values) the captured headers may have
   * @param tracing whether the trace context is captured on every topic
   */
  IngressHeaders(int maxBytes, boolean tracing) {
    this.maxBytes = maxBytes;
    this.tracing = tracing;
  }

  /** The captured headers and their size; {@link #tooLarge} when over the cap. */
  record Captured(List<TypedValue.Metadata> headers, long bytes) {}

  /** The headers the record's messages carry, in record order; an empty list when none. */
  Captured capture(ForwardHeaders policy, Headers headers) {
    if (!policy.any() && !tracing) {
      return NONE;
    }
    Iterator<Header> it = headers.iterator();
    if (!it.hasNext()) {
      return NONE;
    }
    List<TypedValue.Metadata> out = null;
    long bytes = 0;
    while (it.hasNext()) {
      Header h = it.next();
      String key = h.key();
      if (!policy.forwards(key) && !(tracing && TRACE_CONTEXT.contains(key))) {
        continue;
      }
      TypedValue.Metadata.Builder m = TypedValue.Metadata.newBuilder().setKey(key);
      byte[] value = h.value();
      if (value != null) {
        m.setHasValue(true).setValue(ByteString.copyFrom(value));
        bytes += value.length;
      }
      bytes += key.getBytes(StandardCharsets.UTF_8).length;
      if (out == null) {
        out = new ArrayList<>(4);
      }
      out.add(m.build());
    }
    return out == null ? NONE : new Captured(List.copyOf(out), bytes);
  }

  /** Whether {@code captured} is over the cap. */
  boolean tooLarge(Captured captured) {
    return captured.bytes() > maxBytes;
  }

  int maxBytes() {
    return maxBytes;
  }

  private static final Captured NONE = new Captured(List.of(), 0);
}
