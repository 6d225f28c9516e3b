package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.HeaderChain;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracing end to end with the OpenTelemetry SDK's in-memory exporter (registered as the JVM's
 * global OpenTelemetry, as the Java agent would): an ingress record whose producer started a trace
 * goes through three functions on three different partitions, {@code example/counter} (official
 * SDK) -> {@code example/forwarder} -> {@code example/relay} (kstatefun's SDK) -> Kafka egress, and
 * every span the runtime makes belongs to the producer's trace.
 */
class TracingIT {

  private static final AttributeKey<String> FUNCTION_TYPE =
      AttributeKey.stringKey("statefun.function.type");

  private static LocalKafkaBroker kafka;
  private OpenTelemetrySdk sdk;

  @BeforeAll
  static void startKafka() {
    kafka = LocalKafkaBroker.builder().start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @AfterEach
  void resetOpenTelemetry() {
    GlobalOpenTelemetry.resetForTest();
    if (sdk != null) {
      sdk.close();
    }
  }

  @Test
  @Timeout(180)
  void shouldMakeOneTraceOfAThreeFunctionChainAcrossPartitions(@TempDir Path dir) throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(sdk);

    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String plain = "plain-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, plain, 1, out, 1));
    // Three addresses on three different partitions (of the default 8).
    String id = firstIdOnThreePartitions();

    try (FunctionHttpServer counter = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        FunctionHttpServer ours = new FunctionHttpServer(HeaderChain.forwarderAndRelay(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module =
          HeaderChain.writeModule(
              dir, counter.urlTemplate(), ours.urlTemplate(), kafka.bootstrapServers(), in, plain);
      Map<String, Object> props =
          new HashMap<>(
              KafkaIO.runtimeProps(
                  "app-" + suffix, kafka.bootstrapServers(), dir.resolve("state").toString()));
      props.put("kstatefun.tracing.enabled", "true");
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
      SpanData origin;
      try (KStatefunRuntime runtime = KStatefunRuntime.start(ModuleParser.parse(module), props)) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        // The producer's own span; its context travels as traceparent. The topic does not forward
        // headers: the trace context is taken whenever tracing is on.
        Span produce =
            sdk.getTracer("test")
                .spanBuilder("produce " + plain)
                .setSpanKind(SpanKind.PRODUCER)
                .startSpan();
        RecordHeaders headers = new RecordHeaders();
        W3CTraceContextPropagator.getInstance()
            .inject(
                Context.root().with(produce),
                headers,
                (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8)));
        produce.end();
        producer.send(
            new ProducerRecord<>(
                plain,
                null,
                id.getBytes(StandardCharsets.UTF_8),
                "hello".getBytes(StandardCharsets.UTF_8),
                headers));
        producer.flush();
        KafkaIO.readUntil(reader, egress, e -> !e.isEmpty(), Duration.ofSeconds(90));
        assertThat(egress).hasSize(1);
        // Batch spans end when their answer is applied: wait for the last one.
        await("the spans of the chain")
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> named(exporter.getFinishedSpanItems(), "process example/relay").size() == 1);
        origin = named(exporter.getFinishedSpanItems(), "produce " + plain).get(0);
      }
      List<SpanData> spans = exporter.getFinishedSpanItems();
      String traceId = origin.getTraceId();
      assertThat(spans)
          .as("every span belongs to the producer's trace")
          .allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));

      // Hop 1: the official SDK function (asks for its state once: two batches, same parent).
      List<SpanData> counterBatches = named(spans, "process example/counter");
      assertThat(counterBatches).isNotEmpty();
      for (SpanData batch : counterBatches) {
        assertThat(batch.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(batch.getParentSpanId()).isEqualTo(origin.getSpanId());
        assertThat(batch.getLinks())
            .extracting(l -> l.getSpanContext().getSpanId())
            .containsExactly(origin.getSpanId());
        assertThat(batch.getAttributes().get(FUNCTION_TYPE)).isEqualTo("example/counter");
        assertThat(batch.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
      }
      SpanData toForwarder = only(spans, "send example/forwarder");
      SpanData counterBatch = parentOf(spans, toForwarder);
      assertThat(counterBatch.getName()).isEqualTo("process example/counter");
      assertThat(toForwarder.getKind()).isEqualTo(SpanKind.PRODUCER);
      // The HTTP calls: children of their batch, and their context is the request's traceparent.
      List<SpanData> counterCalls = named(spans, "POST example/counter");
      assertThat(counterCalls).hasSameSizeAs(counterBatches);
      assertThat(counterCalls)
          .allSatisfy(
              c -> {
                assertThat(c.getKind()).isEqualTo(SpanKind.CLIENT);
                assertThat(parentOf(spans, c).getName()).isEqualTo("process example/counter");
              });
      assertThat(counter.traceparents())
          .containsExactlyInAnyOrderElementsOf(
              counterCalls.stream().map(TracingIT::traceparent).toList());

      // Hop 2 and 3: kstatefun's SDK.
      SpanData forwarderBatch = only(spans, "process example/forwarder");
      assertThat(forwarderBatch.getParentSpanId()).isEqualTo(toForwarder.getSpanId());
      assertThat(forwarderBatch.getAttributes().get(FUNCTION_TYPE)).isEqualTo("example/forwarder");
      SpanData toRelay = only(spans, "send example/relay");
      assertThat(toRelay.getParentSpanId()).isEqualTo(forwarderBatch.getSpanId());
      SpanData relayBatch = only(spans, "process example/relay");
      assertThat(relayBatch.getParentSpanId()).isEqualTo(toRelay.getSpanId());
      assertThat(relayBatch.getLinks())
          .extracting(l -> l.getSpanContext().getSpanId())
          .containsExactly(toRelay.getSpanId());
      assertThat(parentOf(spans, only(spans, "POST example/forwarder"))).isEqualTo(forwarderBatch);
      assertThat(parentOf(spans, only(spans, "POST example/relay"))).isEqualTo(relayBatch);

      // The egress record: its producer span, child of the relay's batch, stamped on the record.
      SpanData publish = only(spans, "publish " + out);
      assertThat(publish.getParentSpanId()).isEqualTo(relayBatch.getSpanId());
      assertThat(KafkaIO.utf8(egress.get(0).headers().lastHeader("traceparent").value()))
          .isEqualTo(traceparent(publish));

      Set<String> names = spans.stream().map(SpanData::getName).collect(Collectors.toSet());
      assertThat(names)
          .containsExactlyInAnyOrder(
              "produce " + plain,
              "process example/counter",
              "POST example/counter",
              "send example/forwarder",
              "process example/forwarder",
              "POST example/forwarder",
              "send example/relay",
              "process example/relay",
              "POST example/relay",
              "publish " + out);
    }
  }

  /** An id whose counter, forwarder and relay addresses are on three different partitions. */
  private static String firstIdOnThreePartitions() {
    for (int i = 0; ; i++) {
      String id = "user-" + i;
      int a = AddressPartitioner.partition(id, 8);
      int b = AddressPartitioner.partition(id + "-fwd", 8);
      int c = AddressPartitioner.partition(id + "-fwd-relay", 8);
      if (a != b && b != c && a != c) {
        return id;
      }
    }
  }

  private static List<SpanData> named(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  private static SpanData only(List<SpanData> spans, String name) {
    List<SpanData> found = named(spans, name);
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }

  private static SpanData parentOf(List<SpanData> spans, SpanData child) {
    return spans.stream()
        .filter(s -> s.getSpanId().equals(child.getParentSpanId()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no parent span for " + child.getName()));
  }

  private static String traceparent(SpanData span) {
    return "00-"
        + span.getTraceId()
        + "-"
        + span.getSpanId()
        + "-"
        + span.getSpanContext().getTraceFlags().asHex();
  }
}
