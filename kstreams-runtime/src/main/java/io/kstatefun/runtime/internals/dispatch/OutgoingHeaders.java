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
 *       gets the one of its producer span ({@link Tracing.BatchSpan#produce}).
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
    if (span != null && !hasKey(b.getMetadataList(), Tracing.TRACEPARENT)) {
      b.addMetadata(
          TypedValue.Metadata.newBuilder()
              .setKey(Tracing.TRACEPARENT)
              .setHasValue(true)
              .setValue(ByteString.copyFromUtf8(span.produce(operation, destination))));
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
    if (span != null && !hasHeader(headers, Tracing.TRACEPARENT)) {
      headers.add(
          KafkaProducerRecord.Header.newBuilder()
              .setKey(Tracing.TRACEPARENT)
              .setHasValue(true)
              .setValue(
                  ByteString.copyFrom(
                      span.produce("publish", record.topic()).getBytes(StandardCharsets.US_ASCII)))
              .build());
    }
    return record.withHeaders(List.copyOf(headers));
  }

  private static boolean hasKey(List<TypedValue.Metadata> headers, String key) {
    for (TypedValue.Metadata m : headers) {
      if (m.getKey().equals(key)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasHeader(List<KafkaProducerRecord.Header> headers, String key) {
    for (KafkaProducerRecord.Header h : headers) {
      if (h.getKey().equals(key)) {
        return true;
      }
    }
    return false;
  }
}
