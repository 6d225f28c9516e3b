package io.kstatefun.runtime.internals.dispatch;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The headers of what a function sends: messages (now or delayed) and Kafka egress records.
 *
 * <ul>
 *   <li><b>Inherited</b>: an output the function sent without any header gets the headers of the
 *       batch it answers, when every message of the batch carried the same ones (always so for a
 *       batch of one). Functions written with SDKs that cannot set headers (the official StateFun
 *       SDKs) thus pass headers such as a correlation id along. When the batch's messages disagree
 *       nothing is inherited: a batch's outputs cannot be attributed to one of its messages.
 *   <li><b>Trace context</b>: with tracing on, an output without a {@code traceparent} of its own
 *       gets the one of its producer span ({@link Tracing.BatchSpan#produce}); a {@code
 *       traceparent} copied from one of the batch's messages is replaced in place.
 * </ul>
 *
 * <p>With no inherited headers and tracing off an output is returned as is, without allocation.
 *
 * <p>Threading: stateless; the dispatcher calls it on the task's stream thread.
 */
final class OutgoingHeaders {

  private static final List<String> TRACE_CONTEXT = List.of("traceparent", "tracestate", "baggage");

  private OutgoingHeaders() {}

  /** Whether {@code key} is a W3C trace context header. */
  static boolean isTraceContext(String key) {
    return TRACE_CONTEXT.contains(key);
  }

  /**
   * The argument of a message with its inherited headers and trace context.
   *
   * @param inherited the batch's common headers (empty: none)
   * @param span the batch span, or {@code null} when tracing is off
   * @param operation {@code send} or {@code schedule}
   * @param destination the target function type
   */
  static TypedValue message(
      TypedValue argument,
      List<TypedValue.Metadata> inherited,
      Tracing.BatchSpan span,
      String operation,
      String destination) {
    boolean inherit = !inherited.isEmpty() && argument.getMetadataCount() == 0;
    if (!inherit && span == null) {
      return argument;
    }
    TypedValue.Builder b = argument.toBuilder();
    if (inherit) {
      b.addAllMetadata(inherited);
    }
    if (span != null) {
      int at = ownTraceparent(b.getMetadataList(), span);
      String traceparent = at == OWN ? null : span.produce(operation, destination);
      if (traceparent != null) {
        TypedValue.Metadata stamp =
            TypedValue.Metadata.newBuilder()
                .setKey(Tracing.TRACEPARENT)
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8(traceparent))
                .build();
        if (at == NONE) {
          b.addMetadata(stamp);
        } else {
          b.setMetadata(at, stamp);
        }
      }
    }
    return b.build();
  }

  /** A Kafka egress record with its inherited headers and trace context. */
  static Action.EmitEgress egress(
      Action.EmitEgress record, List<TypedValue.Metadata> inherited, Tracing.BatchSpan span) {
    boolean inherit = !inherited.isEmpty() && record.headers().isEmpty();
    if (!inherit && span == null) {
      return record;
    }
    List<KafkaProducerRecord.Header> headers = new ArrayList<>(record.headers());
    if (inherit) {
      for (TypedValue.Metadata m : inherited) {
        headers.add(
            KafkaProducerRecord.Header.newBuilder()
                .setKey(m.getKey())
                .setHasValue(m.getHasValue())
                .setValue(m.getValue())
                .build());
      }
    }
    if (span != null) {
      int at = NONE;
      for (int i = 0; i < headers.size(); i++) {
        KafkaProducerRecord.Header h = headers.get(i);
        if (h.getKey().equals(Tracing.TRACEPARENT)) {
          at =
              h.getHasValue() && !span.received(h.getValue().toString(StandardCharsets.UTF_8))
                  ? OWN
                  : i;
        }
      }
      String traceparent = at == OWN ? null : span.produce("publish", record.topic());
      if (traceparent != null) {
        KafkaProducerRecord.Header stamp =
            KafkaProducerRecord.Header.newBuilder()
                .setKey(Tracing.TRACEPARENT)
                .setHasValue(true)
                .setValue(ByteString.copyFrom(traceparent.getBytes(StandardCharsets.US_ASCII)))
                .build();
        if (at == NONE) {
          headers.add(stamp);
        } else {
          headers.set(at, stamp);
        }
      }
    }
    return record.withHeaders(List.copyOf(headers));
  }

  /** {@link #ownTraceparent}: the output carries a traceparent of the function's own. */
  private static final int OWN = -2;

  /** {@link #ownTraceparent}: the output carries no traceparent. */
  private static final int NONE = -1;

  /**
   * Where the output's (last) traceparent is when the runtime must replace it (it was copied from
   * the batch's messages, or has no value), {@link #NONE} when there is none, {@link #OWN} when the
   * function set one of its own.
   */
  private static int ownTraceparent(List<TypedValue.Metadata> headers, Tracing.BatchSpan span) {
    int at = NONE;
    for (int i = 0; i < headers.size(); i++) {
      TypedValue.Metadata m = headers.get(i);
      if (m.getKey().equals(Tracing.TRACEPARENT)) {
        at =
            m.getHasValue() && !span.received(m.getValue().toString(StandardCharsets.UTF_8))
                ? OWN
                : i;
      }
    }
    return at;
  }
}
