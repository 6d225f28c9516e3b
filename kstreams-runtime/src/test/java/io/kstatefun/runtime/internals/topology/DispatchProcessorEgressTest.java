package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An answer that writes to an egress topic whose existence is not known yet is held, its batch
 * still in flight, while the cluster is asked (never on the stream thread); once the lookup ends,
 * the answer is applied: written to the topic if it exists, dead-lettered if it does not.
 */
@Timeout(30)
class DispatchProcessorEgressTest {

  private static final int PARTITIONS = 8;
  private static final FunctionType TYPE = new FunctionType("example", "fn");
  private static final String APP = "egress-test";

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<CompletableFuture<FunctionClient.Reply>> calls = new ArrayList<>();
  private final List<CompletableFuture<Boolean>> lookups = new ArrayList<>();
  private MockProcessorContext<byte[], Object> context;
  private DispatchProcessor processor;

  @TempDir Path dir;

  @BeforeEach
  void start() throws Exception {
    context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 0), dir.resolve("state").toFile());
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.MAILBOX_STORE));
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.STATE_STORE));
    TestServices.addStore(context, Stores.inMemoryKeyValueStore(TopologyFactory.TIMER_STORE));
    EgressTopics topics =
        new EgressTopics(
            topic -> {
              CompletableFuture<Boolean> answer = new CompletableFuture<>();
              lookups.add(answer);
              return answer;
            },
            now::get,
            () -> {});
    processor = new DispatchProcessor(services(topics));
    processor.init(context);
  }

  @AfterEach
  void stop() {
    processor.close();
    alarms.shutdownNow();
  }

  @Test
  void shouldHoldAnAnswerUntilTheClusterSaysItsEgressTopicExists() {
    deliverAndAnswerWithEgressTo("out");
    punctuate();
    assertThat(lookups).as("lookups started").hasSize(1);
    assertThat(context.forwarded(TopologyFactory.EGRESS_SINK))
        .as("held while the lookup runs")
        .isEmpty();
    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK)).isEmpty();
    punctuate();
    assertThat(lookups).as("one lookup per topic at a time").hasSize(1);

    lookups.get(0).complete(true);
    punctuate();
    assertThat(context.forwarded(TopologyFactory.EGRESS_SINK)).hasSize(1);
    TopicRecord written =
        (TopicRecord) context.forwarded(TopologyFactory.EGRESS_SINK).get(0).record().value();
    assertThat(written.topic()).isEqualTo("out");
    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK)).isEmpty();
  }

  @Test
  void shouldDeadLetterTheBatchOnceTheClusterSaysTheTopicIsMissing() {
    deliverAndAnswerWithEgressTo("nowhere");
    punctuate();
    lookups.get(0).complete(false);
    punctuate();
    assertThat(context.forwarded(TopologyFactory.EGRESS_SINK)).isEmpty();
    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK)).hasSize(1);
    Header reason =
        context
            .forwarded(TopologyFactory.DEAD_LETTER_SINK)
            .get(0)
            .record()
            .headers()
            .lastHeader("kstatefun.dlq.reason");
    assertThat(new String(reason.value(), StandardCharsets.UTF_8))
        .isEqualTo("EGRESS_TOPIC_MISSING");
  }

  @Test
  void shouldKeepHoldingWhileTheClusterDoesNotAnswer() {
    deliverAndAnswerWithEgressTo("out");
    punctuate();
    lookups
        .get(0)
        .completeExceptionally(new org.apache.kafka.common.errors.TimeoutException("broker away"));
    punctuate();
    assertThat(lookups).as("asked again").hasSize(2);
    assertThat(context.forwarded(TopologyFactory.EGRESS_SINK)).isEmpty();
    assertThat(context.forwarded(TopologyFactory.DEAD_LETTER_SINK))
        .as("an existing topic is never dead-lettered")
        .isEmpty();
    lookups.get(1).complete(true);
    punctuate();
    assertThat(context.forwarded(TopologyFactory.EGRESS_SINK)).hasSize(1);
  }

  /**
   * A message for an address of this task arrives on the loopback topic; its call answers with an
   * egress record.
   */
  private void deliverAndAnswerWithEgressTo(String topic) {
    Address target = addressIn(0);
    Envelope message =
        Envelope.newBuilder()
            .setTarget(target.toProto())
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename("example/x")
                    .setHasValue(true)
                    .setValue(ByteString.copyFromUtf8("hi")))
            .build();
    context.setRecordMetadata(APP + "-loopback", 0, 0);
    processor.process(
        new Record<>(
            target.id().getBytes(StandardCharsets.UTF_8), message.toByteArray(), now.get()));
    assertThat(calls).as("the function was called").hasSize(1);
    FromFunction answer =
        FromFunction.newBuilder()
            .setInvocationResult(
                FromFunction.InvocationResponse.newBuilder()
                    .addOutgoingEgresses(
                        FromFunction.EgressMessage.newBuilder()
                            .setEgressNamespace("example")
                            .setEgressType("out")
                            .setArgument(
                                TypedValue.newBuilder()
                                    .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                                    .setHasValue(true)
                                    .setValue(
                                        KafkaProducerRecord.newBuilder()
                                            .setTopic(topic)
                                            .setKey("k")
                                            .setValueBytes(ByteString.copyFromUtf8("v"))
                                            .build()
                                            .toByteString()))))
            .build();
    calls.get(0).complete(new FunctionClient.Reply(answer, 1));
  }

  private void punctuate() {
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.get());
  }

  private RuntimeServices services(EgressTopics topics) {
    return TestServices.forApp(APP)
        .moduleDocument(
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: example/out",
            "  address: 127.0.0.1:1",
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min")
        .client(
            TestServices.answering(
                request -> {
                  CompletableFuture<FunctionClient.Reply> call = new CompletableFuture<>();
                  calls.add(call);
                  return call;
                }))
        .alarms(alarms)
        .partitions(PARTITIONS)
        .clock(now::get)
        .egressTopics(topics)
        .build();
  }

  private static Address addressIn(int partition) {
    for (int i = 0; ; i++) {
      if (AddressPartitioner.partition("a" + i, PARTITIONS) == partition) {
        return new Address(TYPE, "a" + i);
      }
    }
  }
}
