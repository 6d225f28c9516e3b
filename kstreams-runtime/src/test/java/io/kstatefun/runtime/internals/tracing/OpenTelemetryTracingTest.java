package io.kstatefun.runtime.internals.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.Tracing;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenTelemetryTracingTest {

  private static final Address TARGET = new Address(new FunctionType("example", "fn"), "a");
  private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String SCHEDULER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private static Envelope message(String traceparent, boolean fromTimer) {
    TypedValue.Builder argument =
        TypedValue.newBuilder().setTypename("example/x").setHasValue(true);
    if (traceparent != null) {
      argument.addMetadata(
          TypedValue.Metadata.newBuilder()
              .setKey("traceparent")
              .setHasValue(true)
              .setValue(ByteString.copyFromUtf8(traceparent)));
    }
    return Envelope.newBuilder()
        .setTarget(TARGET.toProto())
        .setArgument(argument)
        .setFromTimer(fromTimer)
        .build();
  }

  private static SpanData named(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void shouldContinueTheFirstTraceLinkEveryMessageAndOnlyLinkADelayedOne() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    OpenTelemetryTracing tracing = new OpenTelemetryTracing(sdk);

    Tracing.BatchSpan batch =
        tracing.startBatch(
            TARGET,
            List.of(message(SCHEDULER, true), message(null, false), message(PARENT, false)));
    String sent = batch.produce("send", "example/next");
    FunctionClient.CallTrace call = batch.startCall();
    call.retry(1, "HTTP_5XX: 503");
    call.end(2, null);
    batch.end(null);

    assertThat(batch.received(PARENT)).isTrue();
    assertThat(batch.received(sent)).isFalse();
    List<SpanData> spans = exporter.getFinishedSpanItems();
    SpanData process = named(spans, "process example/fn");
    assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
    // The delayed message is only linked: the trace continued is the other message's.
    assertThat(process.getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(process.getParentSpanId()).isEqualTo("b7ad6b7169203331");
    assertThat(process.getLinks())
        .extracting(l -> l.getSpanContext().getSpanId())
        .containsExactly("00f067aa0ba902b7", "b7ad6b7169203331");
    assertThat(process.getLinks().get(0).getAttributes().asMap().values()).containsExactly(true);
    SpanData producer = named(spans, "send example/next");
    assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(producer.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(sent).startsWith("00-" + process.getTraceId() + "-" + producer.getSpanId());
    SpanData post = named(spans, "POST example/fn");
    assertThat(post.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(post.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(post.getEvents()).extracting(EventData::getName).containsExactly("retry");
    assertThat(call.traceparent()).contains(post.getSpanId());
    sdk.close();
  }

  @Test
  void shouldPassTheIncomingContextOnOrStampNothingWithANoopOpenTelemetry() {
    // OTEL_SDK_DISABLED=true: no-op spans carry their parent's context, or none.
    OpenTelemetryTracing tracing = new OpenTelemetryTracing(OpenTelemetry.noop());
    Tracing.BatchSpan traced = tracing.startBatch(TARGET, List.of(message(PARENT, false)));
    assertThat(traced.produce("send", "example/next")).isEqualTo(PARENT);
    traced.end(null);
    Tracing.BatchSpan untraced = tracing.startBatch(TARGET, List.of(message(null, false)));
    assertThat(untraced.produce("send", "example/next")).isNull();
    assertThat(untraced.startCall().traceparent()).isNull();
    untraced.end(null);
  }
}
