package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dead letters the processor writes: where a function-to-function message came from, and
 * records too large to be kept whole.
 */
@Timeout(30)
class DispatchProcessorDeadLetterTest {

  private static final int PARTITIONS = 1;
  private static final String INGRESS = "orders";

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);
  private final AtomicLong now = new AtomicLong(1_000_000);

  @AfterEach
  void stopAlarms() {
    alarms.shutdownNow();
  }

  @Test
  void shouldNameTheIngressRecordBehindADeadLetteredFunctionToFunctionMessage(@TempDir Path dir)
      throws Exception {
    // example/fn answers every batch with a message to a function type nobody serves.
    FunctionClient client =
        TestServices.respondingWith(
            FromFunction.newBuilder()
                .setInvocationResult(
                    FromFunction.InvocationResponse.newBuilder()
                        .addOutgoingMessages(
                            FromFunction.Invocation.newBuilder()
                                .setTarget(
                                    io.kstatefun.protocol.Address.newBuilder()
                                        .setNamespace("nowhere")
                                        .setType("ghost")
                                        .setId("g"))
                                .setArgument(
                                    TypedValue.newBuilder()
                                        .setTypename("example/x")
                                        .setHasValue(true))))
                .build());
    MockProcessorContext<byte[], Object> context = context(dir);
    DispatchProcessor processor = new DispatchProcessor(services(client, Map.of()));
    processor.init(context);

    context.setRecordMetadata(INGRESS, 0, 42);
    processor.process(new Record<>(utf8("alice"), utf8("hello"), 7L));
    context
        .scheduledPunctuators()
        .get(0)
        .getPunctuator()
        .punctuate(now.get()); // applies the answer

    List<CapturedForward<? extends byte[], ?>> dead =
        context.forwarded(TopologyFactory.DEAD_LETTER_SINK);
    assertThat(dead)
        .singleElement()
        .satisfies(
            f -> {
              Headers h = f.record().headers();
              assertThat(header(h, DeadLetters.REASON)).isEqualTo("UNKNOWN_FUNCTION_TYPE");
              assertThat(header(h, DeadLetters.ADDRESS)).isEqualTo("nowhere/ghost/g");
              assertThat(header(h, DeadLetters.SOURCE_TOPIC)).isEqualTo(INGRESS);
              assertThat(header(h, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
              assertThat(header(h, DeadLetters.SOURCE_OFFSET)).isEqualTo("42");
              assertThat(header(h, DeadLetters.SOURCE_TIMESTAMP)).isEqualTo("7");
              Envelope envelope = Envelope.parseFrom(((TopicRecord) f.record().value()).value());
              assertThat(envelope.getCaller().getId()).isEqualTo("alice");
            });
    processor.close();
  }

  @Test
  void shouldDeadLetterTruncatedAnIngressRecordWhoseMessageWouldNotFitTheProducer(@TempDir Path dir)
      throws Exception {
    // maxRecordBytes 1 MiB (the default) and a producer that takes 64 KiB: a 100 KiB value passes
    // maxRecordBytes, but its mailbox record would be refused.
    int maxRequestSize = 64 * 1024;
    MockProcessorContext<byte[], Object> context = context(dir);
    DispatchProcessor processor =
        new DispatchProcessor(
            services(
                TestServices.respondingWith(FromFunction.getDefaultInstance()),
                Map.of("producer.max.request.size", Integer.toString(maxRequestSize))));
    processor.init(context);

    byte[] value = new byte[100 * 1024];
    Arrays.fill(value, (byte) 'v');
    RecordHeaders original = new RecordHeaders();
    original.add("trace-id", utf8("t-1"));
    context.setRecordMetadata(INGRESS, 0, 5);
    processor.process(new Record<>(utf8("alice"), value, 9L, original));

    assertThat(context.forwarded(TopologyFactory.LOOPBACK_SINK)).isEmpty();
    List<CapturedForward<? extends byte[], ?>> dead =
        context.forwarded(TopologyFactory.DEAD_LETTER_SINK);
    assertThat(dead)
        .singleElement()
        .satisfies(
            f -> {
              Headers h = f.record().headers();
              byte[] kept = ((TopicRecord) f.record().value()).value();
              assertThat(header(h, DeadLetters.REASON)).isEqualTo("RECORD_TOO_LARGE");
              assertThat(header(h, DeadLetters.DETAIL))
                  .contains("102400 bytes", "max.request.size " + maxRequestSize);
              assertThat(header(h, DeadLetters.SOURCE_OFFSET)).isEqualTo("5");
              assertThat(header(h, DeadLetters.TRUNCATED)).isEqualTo("value");
              assertThat(header(h, DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo("102400");
              assertThat(header(h, "trace-id")).as("original headers kept").isEqualTo("t-1");
              assertThat(kept).isEqualTo(Arrays.copyOf(value, kept.length));
              int size = f.record().key().length + kept.length + DeadLetters.size(h);
              assertThat(size)
                  .isLessThanOrEqualTo(maxRequestSize - RecordSizes.RECORD_OVERHEAD)
                  .isGreaterThan(maxRequestSize / 2);
            });
    processor.close();
  }

  @Test
  void shouldDeadLetterAnIngressRecordWhoseForwardedHeadersAreOverTheCap(@TempDir Path dir)
      throws Exception {
    MockProcessorContext<byte[], Object> context = context(dir);
    DispatchProcessor processor =
        new DispatchProcessor(
            TestServices.forApp("dead-letter-test")
                .settings(Map.of("kstatefun.headers.max.bytes", "10"))
                .moduleDocument(
                    "kind: io.statefun.kafka.v1/ingress",
                    "spec:",
                    "  id: example/in",
                    "  forwardHeaders: true",
                    "  topics:",
                    "    - topic: " + INGRESS,
                    "      valueType: example/x",
                    "      targets:",
                    "        - example/fn")
                .client(TestServices.respondingWith(FromFunction.getDefaultInstance()))
                .alarms(alarms)
                .partitions(PARTITIONS)
                .clock(now::get)
                .build());
    processor.init(context);

    RecordHeaders small = new RecordHeaders();
    small.add("k", utf8("0123456")); // 8 bytes: fits
    context.setRecordMetadata(INGRESS, 0, 1);
    processor.process(new Record<>(utf8("alice"), utf8("v"), 9L, small));
    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK)).isEmpty();

    RecordHeaders large = new RecordHeaders();
    large.add("k", utf8("0123456"));
    large.add("k", utf8("789")); // 8 + 4 bytes: over 10
    context.setRecordMetadata(INGRESS, 0, 2);
    processor.process(new Record<>(utf8("bob"), utf8("v"), 9L, large));

    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK))
        .singleElement()
        .satisfies(
            f -> {
              Headers h = f.record().headers();
              assertThat(header(h, DeadLetters.REASON)).isEqualTo("HEADERS_TOO_LARGE");
              assertThat(header(h, DeadLetters.DETAIL))
                  .contains("12 bytes", "kstatefun.headers.max.bytes=10");
              assertThat(header(h, DeadLetters.SOURCE_OFFSET)).isEqualTo("2");
              assertThat(header(h, "k")).as("original headers kept").isEqualTo("789");
            });
    processor.close();
  }

  private RuntimeServices services(FunctionClient client, Map<String, String> settings) {
    return TestServices.forApp("dead-letter-test")
        .settings(settings)
        .moduleDocument(
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: example/in",
            "  topics:",
            "    - topic: " + INGRESS,
            "      valueType: example/x",
            "      targets:",
            "        - example/fn")
        .client(client)
        .alarms(alarms)
        .partitions(PARTITIONS)
        .clock(now::get)
        .build();
  }

  private static MockProcessorContext<byte[], Object> context(Path dir) {
    assertThat(AddressPartitioner.partition("alice", PARTITIONS)).isZero();
    MockProcessorContext<byte[], Object> context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 0), dir.resolve("state").toFile());
    for (String name :
        List.of(
            TopologyFactory.MAILBOX_STORE,
            TopologyFactory.STATE_STORE,
            TopologyFactory.TIMER_STORE)) {
      TestServices.addStore(context, Stores.inMemoryKeyValueStore(name));
    }
    return context;
  }

  private static String header(Headers headers, String key) {
    var h = headers.lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
