package io.kstatefun.runtime.internals.tracing;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.dispatch.Tracing;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Tracing} with the OpenTelemetry API.
 *
 * <ul>
 *   <li>{@code process <namespace/type>} (CONSUMER): one per batch. Its parent is the trace context
 *       of the batch's first message that carries one and is not a delayed message; it links to the
 *       context of every message (a delayed message's link says {@code statefun.delayed=true}).
 *   <li>{@code POST <namespace/type>} (CLIENT): the HTTP call, child of the batch span; its context
 *       is the {@code traceparent} of the requests; each retry is an event {@code retry}.
 *   <li>{@code send|schedule <namespace/type>}, {@code publish <topic>} (PRODUCER): one per output,
 *       child of the batch span; its context is stamped on the output.
 * </ul>
 *
 * <p>Threading: thread-safe (OpenTelemetry spans are); batch spans are used on the stream thread,
 * call spans on HTTP client threads.
 */
public final class OpenTelemetryTracing implements Tracing {

  private static final String SCOPE = "io.kstatefun.runtime";
  private static final AttributeKey<String> FUNCTION_TYPE =
      AttributeKey.stringKey("statefun.function.type");
  private static final AttributeKey<String> FUNCTION_ID =
      AttributeKey.stringKey("statefun.function.id");
  private static final AttributeKey<Long> BATCH_SIZE =
      AttributeKey.longKey("messaging.batch.message_count");
  private static final AttributeKey<Boolean> DELAYED = AttributeKey.booleanKey("statefun.delayed");
  private static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("statefun.attempt");
  private static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("statefun.attempts");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("statefun.reason");

  private static final TextMapGetter<List<TypedValue.Metadata>> METADATA_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(List<TypedValue.Metadata> carrier) {
          return carrier.stream().map(TypedValue.Metadata::getKey).toList();
        }

        @Override
        public String get(List<TypedValue.Metadata> carrier, String key) {
          if (carrier == null) {
            return null;
          }
          String found = null;
          for (TypedValue.Metadata m : carrier) {
            if (m.getKey().equals(key) && m.getHasValue()) {
              found = m.getValue().toString(StandardCharsets.UTF_8); // last wins, as in Kafka
            }
          }
          return found;
        }
      };

  private static final TextMapSetter<String[]> TRACEPARENT_SETTER =
      (carrier, key, value) -> {
        if (carrier != null && TRACEPARENT.equals(key)) {
          carrier[0] = value;
        }
      };

  private final Tracer tracer;
  private final W3CTraceContextPropagator propagator = W3CTraceContextPropagator.getInstance();

  /**
   * The OpenTelemetry of this JVM for a runtime with tracing on: the one the OpenTelemetry Java
   * agent (or the application) registered, else an SDK configured from the {@code OTEL_*}
   * environment variables and {@code otel.*} system properties (OTLP export over http/protobuf by
   * default; {@code OTEL_SDK_DISABLED=true} turns it into a no-op), registered as the global one.
   *
   * @throws IllegalArgumentException if the settings are refused (e.g. the gRPC protocol, for which
   *     the runtime ships no sender)
   * @return the OpenTelemetry, and what to close when the runtime stops (flushes the spans of an
   *     SDK made here; nothing for a registered one)
   */
  public static Configured configure() {
    if (GlobalOpenTelemetry.isSet()) {
      return new Configured(GlobalOpenTelemetry.get(), () -> {});
    }
    OpenTelemetrySdk sdk;
    try {
      sdk =
          AutoConfiguredOpenTelemetrySdk.builder()
              // Defaults that OTEL_* variables and otel.* properties override: the runtime ships
              // the JDK HTTP sender only, so OTLP goes over http/protobuf (port 4318), not gRPC.
              .addPropertiesSupplier(() -> Map.of("otel.exporter.otlp.protocol", "http/protobuf"))
              .setResultAsGlobal()
              .build()
              .getOpenTelemetrySdk();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "kstatefun.tracing.enabled=true, but the OpenTelemetry SDK cannot be configured from the"
              + " OTEL_* environment and otel.* system properties: "
              + e.getMessage()
              + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"),
          e);
    }
    return new Configured(sdk, sdk::close);
  }

  /** An OpenTelemetry and what to close when the runtime stops. */
  public record Configured(OpenTelemetry openTelemetry, AutoCloseable closer) {}

  /** Tracing with {@code openTelemetry}'s tracer provider. */
  public OpenTelemetryTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(SCOPE);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public BatchSpan startBatch(Address target, List<Envelope> messages) {
    String type = target.type().toString();
    SpanBuilder builder =
        tracer
            .spanBuilder("process " + type)
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute(FUNCTION_TYPE, type)
            .setAttribute(FUNCTION_ID, target.id())
            .setAttribute(BATCH_SIZE, (long) messages.size());
    Context parent = null;
    Set<String> received = new HashSet<>();
    for (Envelope message : messages) {
      List<TypedValue.Metadata> headers = message.getArgument().getMetadataList();
      if (headers.isEmpty()) {
        continue;
      }
      String incoming = METADATA_GETTER.get(headers, TRACEPARENT);
      if (incoming != null) {
        received.add(incoming);
      }
      Context extracted = propagator.extract(Context.root(), headers, METADATA_GETTER);
      SpanContext context = Span.fromContext(extracted).getSpanContext();
      if (!context.isValid()) {
        continue;
      }
      if (message.getFromTimer()) {
        builder.addLink(context, Attributes.of(DELAYED, true));
      } else {
        builder.addLink(context);
        if (parent == null) {
          parent = extracted;
        }
      }
    }
    if (parent == null) {
      builder.setNoParent();
    } else {
      builder.setParent(parent);
    }
    return new OtelBatchSpan(builder.startSpan(), type, received);
  }

  private String traceparent(Span span) {
    String[] out = new String[1];
    propagator.inject(Context.root().with(span), out, TRACEPARENT_SETTER);
    return out[0];
  }

  private final class OtelBatchSpan implements BatchSpan {
    private final Span span;
    private final String type;
    private final Context context;
    private final Set<String> received;

    OtelBatchSpan(Span span, String type, Set<String> received) {
      this.span = span;
      this.type = type;
      this.context = Context.root().with(span);
      this.received = received;
    }

    @Override
    public boolean received(String traceparent) {
      return received.contains(traceparent);
    }

    @Override
    public String produce(String operation, String destination) {
      Span producer =
          tracer
              .spanBuilder(operation + " " + destination)
              .setSpanKind(SpanKind.PRODUCER)
              .setParent(context)
              .setAttribute(DESTINATION, destination)
              .startSpan();
      String traceparent = traceparent(producer);
      producer.end();
      return traceparent;
    }

    @Override
    public FunctionClient.CallTrace startCall() {
      Span call =
          tracer
              .spanBuilder("POST " + type)
              .setSpanKind(SpanKind.CLIENT)
              .setParent(context)
              .setAttribute(FUNCTION_TYPE, type)
              .startSpan();
      String traceparent = traceparent(call);
      return new FunctionClient.CallTrace() {
        @Override
        public String traceparent() {
          return traceparent;
        }

        @Override
        public void retry(int attempt, String reason) {
          call.addEvent("retry", Attributes.of(ATTEMPT, (long) attempt, REASON, reason));
        }

        @Override
        public void end(int attempts, Throwable error) {
          call.setAttribute(ATTEMPTS, (long) attempts);
          if (error != null) {
            call.recordException(error);
            call.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
          }
          call.end();
        }
      };
    }

    @Override
    public void endResent(String reason) {
      span.addEvent("resent", Attributes.of(REASON, reason));
      span.end();
    }

    @Override
    public void end(String error) {
      if (error != null) {
        span.setStatus(StatusCode.ERROR, error);
      }
      span.end();
    }
  }
}
