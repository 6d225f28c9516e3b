package io.kstatefun.runtime.internals.topology;

import static io.kstatefun.runtime.internals.topology.ShellDriver.DEAD_LETTERS;
import static io.kstatefun.runtime.internals.topology.ShellDriver.LOOPBACK;
import static io.kstatefun.runtime.internals.topology.ShellDriver.LOOPBACK_OUT;
import static io.kstatefun.runtime.internals.topology.ShellDriver.PARTITIONS;
import static io.kstatefun.runtime.internals.topology.ShellDriver.START;
import static io.kstatefun.runtime.internals.topology.ShellDriver.address;
import static io.kstatefun.runtime.internals.topology.ShellDriver.header;
import static io.kstatefun.runtime.internals.topology.ShellDriver.localId;
import static io.kstatefun.runtime.internals.topology.ShellDriver.remoteId;
import static io.kstatefun.runtime.internals.topology.ShellDriver.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.IncompleteInvocationContext;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.testing.CommittedTimers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka Streams shell under {@code TopologyTestDriver} (see {@link ShellDriver} for how the
 * runtime maps onto the driver): how records, call completions and wall-clock time become
 * dispatcher events, and how the dispatcher's actions become records — loopback partitioning, the
 * ingress failure policies, completions applied on the stream thread, and timers by wall-clock
 * time. The stores are the real changelogged RocksDB stores.
 */
@Timeout(60)
class ShellTopologyTest {

  private static final String INT = "io.statefun.types/int";
  private static final String EGRESS_TOPIC = "egress-out";

  private static final String MODULE =
      String.join(
          "\n",
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: shell/*",
          "  urlPathTemplate: http://127.0.0.1:1/{function.name}",
          "---",
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: shell/in",
          "  startupPosition:",
          "    type: earliest",
          "  topics:",
          "    - topic: in",
          "      valueType: shell/text",
          "      targets:",
          "        - shell/counter",
          "---",
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: shell/skipping",
          "  startupPosition:",
          "    type: earliest",
          "  onError: skip",
          "  topics:",
          "    - topic: skip-in",
          "      valueType: shell/text",
          "      targets:",
          "        - shell/counter",
          "---",
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: shell/strict",
          "  startupPosition:",
          "    type: earliest",
          "  onError: fail",
          "  topics:",
          "    - topic: strict-in",
          "      valueType: shell/text",
          "      targets:",
          "        - shell/counter",
          "---",
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: shell/own",
          "  startupPosition:",
          "    type: earliest",
          "  deadLetterTopic: own-dlq",
          "  topics:",
          "    - topic: own-in",
          "      valueType: shell/text",
          "      targets:",
          "        - shell/counter",
          "---",
          "kind: io.statefun.kafka.v1/egress",
          "spec:",
          "  id: shell/out",
          "  deliverySemantic:",
          "    type: exactly-once",
          "    transactionTimeout: 15min",
          "");

  @TempDir Path dir;

  /** What the listener saw: ingress rejections, and the threads that emitted egress. */
  private final List<String> rejections = new CopyOnWriteArrayList<>();

  private final List<String> egressThreads = new CopyOnWriteArrayList<>();

  private final RuntimeListener listener =
      new RuntimeListener() {
        @Override
        public void ingressRejected(String topic, String reason, KafkaIngressSpec.OnError policy) {
          rejections.add(topic + ":" + reason + ":" + policy);
        }

        @Override
        public void egressEmitted(String egressId) {
          egressThreads.add(Thread.currentThread().getName());
        }
      };

  private ShellDriver shell;

  private ShellDriver start(Map<String, Object> settings) {
    shell = new ShellDriver(dir, MODULE, settings, listener);
    return shell;
  }

  private ShellDriver start() {
    return start(Map.of());
  }

  @AfterEach
  void close() {
    if (shell != null) {
      shell.close();
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static TypedValue text(String s) {
    return TypedValue.newBuilder()
        .setTypename("shell/text")
        .setHasValue(true)
        .setValue(ByteString.copyFromUtf8(s))
        .build();
  }

  private static TypedValue intValue(int v) {
    return TypedValue.newBuilder()
        .setTypename(INT)
        .setHasValue(true)
        .setValue(ByteString.copyFrom(java.nio.ByteBuffer.allocate(4).putInt(v).array()))
        .build();
  }

  private static FromFunction result(InvocationResponse.Builder response) {
    return FromFunction.newBuilder().setInvocationResult(response).build();
  }

  private static EgressMessage egress(String key, String value) {
    KafkaProducerRecord record =
        KafkaProducerRecord.newBuilder()
            .setTopic(EGRESS_TOPIC)
            .setKey(key)
            .setValueBytes(ByteString.copyFromUtf8(value))
            .build();
    return EgressMessage.newBuilder()
        .setEgressNamespace("shell")
        .setEgressType("out")
        .setArgument(
            TypedValue.newBuilder()
                .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                .setHasValue(true)
                .setValue(record.toByteString()))
        .build();
  }

  private static FromFunction.Invocation messageTo(Address target, String payload) {
    return FromFunction.Invocation.newBuilder()
        .setTarget(target.toProto())
        .setArgument(text(payload))
        .build();
  }

  private static Envelope envelope(byte[] bytes) throws Exception {
    return Envelope.parseFrom(bytes);
  }

  private static Set<Integer> loopbackPartition(byte[] key, int partitions) {
    Optional<Set<Integer>> p =
        TopologyFactory.byAddressId().partitions(LOOPBACK, key, new byte[0], partitions);
    assertThat(p).isPresent();
    return p.get();
  }

  // --- loopback partitioning
  // -----------------------------------------------------------------------

  @Test
  void shouldRouteAnIngressRecordForAnAddressOfAnotherPartitionToThatPartitionOfTheLoopbackTopic()
      throws Exception {
    ShellDriver shell = start();
    String id = remoteId("r", 0);
    shell.pipe("in", id, "hello");

    assertThat(shell.client.takeAll())
        .as("no call from the task that does not own the address")
        .isEmpty();
    assertThat(shell.stores().mailboxes(null, 10)).as("nothing queued here").isEmpty();
    List<TestRecord<byte[], byte[]>> loopback = shell.read(LOOPBACK_OUT);
    assertThat(loopback).hasSize(1);
    TestRecord<byte[], byte[]> record = loopback.get(0);
    assertThat(utf8(record.key())).isEqualTo(id);
    Envelope envelope = envelope(record.value());
    assertThat(envelope.getTarget()).isEqualTo(address("shell", "counter", id).toProto());
    assertThat(envelope.getArgument()).isEqualTo(text("hello"));
    assertThat(envelope.getOrigin().getTopic()).isEqualTo("in");
    assertThat(envelope.getOrigin().getOffset()).isZero();
    // The sink's partitioner sends it where the address lives: the partition Kafka's default
    // partitioner gives the id, which is also where an ingress record keyed by the id lands.
    int owner = AddressPartitioner.partition(id, PARTITIONS);
    assertThat(owner).isNotZero();
    assertThat(loopbackPartition(record.key(), PARTITIONS))
        .containsExactly(owner)
        .containsExactly(
            BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), PARTITIONS));
  }

  @Test
  void shouldPartitionLoopbackRecordsLikeKafkasDefaultPartitionerForAnyPartitionCount() {
    for (int partitions = 1; partitions <= 16; partitions++) {
      for (int i = 0; i < 200; i++) {
        byte[] key = ("id-" + i + "-ü").getBytes(StandardCharsets.UTF_8);
        assertThat(loopbackPartition(key, partitions))
            .as("id-%d with %d partitions", i, partitions)
            .containsExactly(BuiltInPartitioner.partitionForKey(key, partitions));
      }
    }
  }

  @Test
  void shouldSendAFunctionsMessageForAnotherPartitionThroughTheLoopbackWithItsCaller()
      throws Exception {
    ShellDriver shell = start();
    Address alice = address("shell", "counter", localId("a", 0));
    Address remote = address("shell", "printer", remoteId("p", 0));
    shell.pipe("in", alice.id(), "m1");
    shell
        .client
        .next()
        .reply(
            result(InvocationResponse.newBuilder().addOutgoingMessages(messageTo(remote, "hi"))));
    shell.ringDoorbell();

    List<TestRecord<byte[], byte[]>> loopback = shell.read(LOOPBACK_OUT);
    assertThat(loopback).hasSize(1);
    assertThat(utf8(loopback.get(0).key())).isEqualTo(remote.id());
    Envelope envelope = envelope(loopback.get(0).value());
    assertThat(envelope.getTarget()).isEqualTo(remote.toProto());
    assertThat(envelope.getCaller()).isEqualTo(alice.toProto());
    assertThat(envelope.getArgument()).isEqualTo(text("hi"));
    assertThat(loopbackPartition(loopback.get(0).key(), PARTITIONS))
        .containsExactly(AddressPartitioner.partition(remote.id(), PARTITIONS));
  }

  @Test
  void shouldDeliverALoopbackRecordToTheAddressItNamesWithItsCaller() {
    ShellDriver shell = start();
    Address bob = address("shell", "printer", localId("b", 0));
    Address sender = address("shell", "counter", remoteId("s", 0));
    Envelope envelope =
        Envelope.newBuilder()
            .setTarget(bob.toProto())
            .setCaller(sender.toProto())
            .setArgument(text("from afar"))
            .build();
    shell.pipe(LOOPBACK, utf8(bob.id()), envelope.toByteArray());

    ScriptedFunctionClient.Call call = shell.client.next();
    assertThat(call.target).isEqualTo(bob);
    assertThat(call.payloads()).containsExactly("from afar");
    assertThat(call.request.getInvocation().getInvocations(0).getCaller())
        .isEqualTo(sender.toProto());
    assertThat(shell.read(LOOPBACK_OUT)).isEmpty();
  }

  @Test
  void shouldDeadLetterAMalformedLoopbackRecordAndKeepProcessing() {
    ShellDriver shell = start();
    shell.pipe(LOOPBACK, utf8("x"), new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01});

    List<TestRecord<byte[], byte[]>> dead = shell.read(DEAD_LETTERS);
    assertThat(dead)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(header(r, DeadLetters.REASON)).isEqualTo("MALFORMED_LOOPBACK_RECORD");
              assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo(LOOPBACK);
              assertThat(header(r, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
              assertThat(r.value()).containsExactly((byte) 0xFF, (byte) 0xFF, 0x01);
            });
    shell.pipe("in", localId("a", 0), "next");
    assertThat(shell.client.next().payloads()).containsExactly("next");
  }

  // --- ingress failure policies
  // --------------------------------------------------------------------

  @Test
  void shouldDeadLetterAnUnroutableIngressRecordWithItsOriginAndKeepProcessing() {
    ShellDriver shell = start();
    RecordHeaders headers = new RecordHeaders();
    headers.add("trace-id", utf8("t-1"));
    shell.pipe("in", null, utf8("no key"), headers);

    assertThat(shell.client.takeAll()).isEmpty();
    List<TestRecord<byte[], byte[]>> dead = shell.read(DEAD_LETTERS);
    assertThat(dead)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.key()).isNull();
              assertThat(utf8(r.value())).isEqualTo("no key");
              assertThat(header(r, "trace-id"))
                  .as("the record's own headers are kept")
                  .isEqualTo("t-1");
              assertThat(header(r, DeadLetters.REASON)).isEqualTo("NULL_KEY");
              assertThat(header(r, DeadLetters.FORMAT)).isEqualTo(DeadLetters.FORMAT_INGRESS);
              assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo("in");
              assertThat(header(r, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
              assertThat(header(r, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
              assertThat(header(r, DeadLetters.SOURCE_TIMESTAMP)).isEqualTo(Long.toString(START));
            });
    assertThat(rejections).containsExactly("in:NULL_KEY:DEAD_LETTER");

    shell.pipe("in", localId("a", 0), "valid");
    assertThat(shell.client.next().payloads()).containsExactly("valid");
  }

  @Test
  void shouldDeadLetterToTheIngresssOwnDeadLetterTopic() {
    ShellDriver shell = start();
    shell.pipe("own-in", new byte[0], utf8("empty key"));

    assertThat(shell.read("own-dlq"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(header(r, DeadLetters.REASON)).isEqualTo("EMPTY_KEY");
              assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo("own-in");
            });
    assertThat(shell.read(DEAD_LETTERS)).isEmpty();
    assertThat(shell.client.takeAll()).isEmpty();
  }

  @Test
  void shouldSkipAnUnroutableRecordWhenTheIngressSaysSkip() {
    ShellDriver shell = start();
    shell.pipe("skip-in", null, utf8("no key"));

    assertThat(shell.read(DEAD_LETTERS)).isEmpty();
    assertThat(shell.client.takeAll()).isEmpty();
    assertThat(rejections).containsExactly("skip-in:NULL_KEY:SKIP");

    shell.pipe("skip-in", localId("a", 0), "valid");
    assertThat(shell.client.next().payloads()).containsExactly("valid");
  }

  @Test
  void shouldFailTheTaskOnAnUnroutableRecordWhenTheIngressSaysFail() {
    ShellDriver shell = start();
    assertThatThrownBy(() -> shell.pipe("strict-in", null, utf8("no key")))
        .satisfies(
            e ->
                assertThat(IngressFailureException.isCauseOf(e))
                    .as("caused by an IngressFailureException: " + e)
                    .isTrue())
        .hasStackTraceContaining("strict-in-0@0")
        .hasStackTraceContaining("'fail'");
    assertThat(rejections).containsExactly("strict-in:NULL_KEY:FAIL");
    assertThat(shell.read(DEAD_LETTERS)).isEmpty();
    assertThat(shell.client.takeAll()).isEmpty();
  }

  // --- completions on the stream thread ---------------------------------------------------------

  @Test
  void shouldApplyACompletionOnlyWhenTheStreamThreadRunsAfterTheDoorbell() throws Exception {
    ShellDriver shell = start();
    Address alice = address("shell", "counter", localId("a", 0));
    shell.pipe("in", alice.id(), "m1");

    // The function asks for its state (state negotiation), then answers with a write and egress.
    ScriptedFunctionClient.Call first = shell.client.next();
    first.reply(
        FromFunction.newBuilder()
            .setIncompleteInvocationContext(
                IncompleteInvocationContext.newBuilder()
                    .addMissingValues(
                        PersistedValueSpec.newBuilder().setStateName("count").setTypeTypename(INT)))
            .build());
    assertThat(shell.client.takeAll()).as("the answer waits for the stream thread").isEmpty();
    shell.ringDoorbell();
    ScriptedFunctionClient.Call retry = shell.client.next();
    assertThat(retry.payloads()).containsExactly("m1");
    assertThat(retry.request.getInvocation().getStateList())
        .singleElement()
        .satisfies(s -> assertThat(s.getStateName()).isEqualTo("count"));

    retry.reply(
        result(
            InvocationResponse.newBuilder()
                .addStateMutations(
                    PersistedValueMutation.newBuilder()
                        .setMutationType(PersistedValueMutation.MutationType.MODIFY)
                        .setStateName("count")
                        .setStateValue(intValue(1)))
                .addOutgoingEgresses(egress("k", "v"))));
    // Completed on the client thread: nothing applied, nothing written yet.
    assertThat(shell.read(EGRESS_TOPIC)).isEmpty();
    assertThat(shell.storedState(alice)).isNull();
    assertThat(shell.stores().mailboxes(null, 10)).containsExactly(alice);
    assertThat(egressThreads).isEmpty();

    shell.ringDoorbell();
    assertThat(shell.read(EGRESS_TOPIC))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(utf8(r.key())).isEqualTo("k");
              assertThat(utf8(r.value())).isEqualTo("v");
            });
    StoredState state = shell.storedState(alice);
    assertThat(state.getValuesList())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getName()).isEqualTo("count");
              assertThat(v.getValue()).isEqualTo(intValue(1).getValue());
            });
    assertThat(shell.stores().mailboxes(null, 10)).as("the batch left the mailbox").isEmpty();
    assertThat(egressThreads)
        .containsExactly(Thread.currentThread().getName())
        .doesNotContain(ScriptedFunctionClient.THREAD_NAME);

    // The next message carries the state the response wrote.
    shell.pipe("in", alice.id(), "m2");
    assertThat(shell.client.next().request.getInvocation().getState(0).getStateValue())
        .isEqualTo(intValue(1));
  }

  @Test
  void shouldApplyACompletionAtTheSafetyNetPunctuationWhenNoDoorbellRings() {
    ShellDriver shell = start(Map.of(KStatefunConfig.TIMER_CHECK_INTERVAL_MS_CONFIG, 100L));
    Address alice = address("shell", "counter", localId("a", 0));
    shell.pipe("in", alice.id(), "m1");
    shell
        .client
        .next()
        .reply(result(InvocationResponse.newBuilder().addOutgoingEgresses(egress("k", "late"))));

    shell.advance(99);
    assertThat(shell.read(EGRESS_TOPIC)).as("before the punctuation").isEmpty();
    shell.advance(1);
    assertThat(shell.read(EGRESS_TOPIC))
        .singleElement()
        .satisfies(r -> assertThat(utf8(r.value())).isEqualTo("late"));
    assertThat(egressThreads).containsExactly(Thread.currentThread().getName());
  }

  @Test
  void shouldDeadLetterTheBatchOfACallThatFailedOnceTheStreamThreadRuns() {
    ShellDriver shell = start();
    Address alice = address("shell", "counter", localId("a", 0));
    shell.pipe("in", alice.id(), "m1");
    shell.pipe("in", alice.id(), "m2");
    shell.client.next().fail(new IllegalStateException("boom"));
    assertThat(shell.read(DEAD_LETTERS)).isEmpty();

    shell.ringDoorbell();
    assertThat(shell.read(DEAD_LETTERS))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(header(r, DeadLetters.REASON)).isEqualTo("FUNCTION_CALL_FAILED");
              assertThat(header(r, DeadLetters.ADDRESS)).isEqualTo(alice.toString());
              assertThat(header(r, DeadLetters.ERROR_CLASS))
                  .isEqualTo(IllegalStateException.class.getName());
              assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo("in");
              assertThat(header(r, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
            });
    assertThat(shell.client.next().payloads()).as("the next batch goes out").containsExactly("m2");
  }

  // --- timers by wall-clock time
  // -------------------------------------------------------------------

  @Test
  void shouldKeepTheTimerStoreLayoutThatIntegrationTestsReadFromTheChangelog() {
    assertThat(CommittedTimers.TIMER_STORE).isEqualTo(TopologyFactory.TIMER_STORE);
    assertThat(CommittedTimers.TIMER).isEqualTo(StoreKeys.TIMER);
    assertThat(CommittedTimers.TOKEN).isEqualTo(StoreKeys.TOKEN);
  }

  /** Alice answers her first message by sending "later" to bob after {@code delayMs}. */
  private static void scheduleDelayed(ShellDriver shell, Address alice, Address bob, long delayMs) {
    shell.pipe("in", alice.id(), "tick");
    shell
        .client
        .next()
        .reply(
            result(
                InvocationResponse.newBuilder()
                    .addDelayedInvocations(
                        DelayedInvocation.newBuilder()
                            .setTarget(bob.toProto())
                            .setDelayInMs(delayMs)
                            .setArgument(text("later")))));
    shell.ringDoorbell(); // applies the answer: the delayed message is stored
  }

  @Test
  void shouldFireADelayedMessageWhenItsAlarmGoesOffAtItsDueTimeAndNotBefore() {
    // No safety-net punctuation within the test: only the alarm and the doorbell fire timers.
    ShellDriver shell = start(Map.of(KStatefunConfig.TIMER_CHECK_INTERVAL_MS_CONFIG, 3_600_000L));
    Address alice = address("shell", "counter", localId("a", 0));
    Address bob = address("shell", "printer", localId("b", 0));
    scheduleDelayed(shell, alice, bob, 3_000);
    assertThat(shell.stores().earliestTimerDue()).isEqualTo(START + 3_000);
    assertThat(shell.alarms.pending())
        .as("an alarm for the due time")
        .singleElement()
        .satisfies(a -> assertThat(a.dueAt()).isEqualTo(START + 3_000));

    shell.advance(2_999);
    shell.ringDoorbell(); // the stream thread runs for another reason, 1 ms early
    assertThat(shell.client.takeAll()).as("not before its due time").isEmpty();

    shell.advance(1);
    shell.alarms.pending().get(0).goOff();
    shell.ringDoorbell(); // what the alarm's ring makes the stream thread do
    ScriptedFunctionClient.Call fired = shell.client.next();
    assertThat(fired.target).isEqualTo(bob);
    assertThat(fired.payloads()).containsExactly("later");
    assertThat(fired.request.getInvocation().getInvocations(0).getCaller())
        .isEqualTo(alice.toProto());
    assertThat(shell.stores().earliestTimerDue()).as("no timer left").isEqualTo(Long.MAX_VALUE);
    assertThat(shell.stores().timerCount()).isZero();
  }

  @Test
  void shouldFireADelayedMessageAtTheFirstSafetyNetPunctuationAtOrAfterItsDueTime() {
    ShellDriver shell = start(Map.of(KStatefunConfig.TIMER_CHECK_INTERVAL_MS_CONFIG, 100L));
    Address alice = address("shell", "counter", localId("a", 0));
    Address bob = address("shell", "printer", localId("b", 0));
    scheduleDelayed(shell, alice, bob, 1_050);

    long firedAt = -1;
    List<ScriptedFunctionClient.Call> calls = List.of();
    while (calls.isEmpty() && shell.now.get() < START + 5_000) {
      shell.advance(100);
      calls = shell.client.takeAll();
      firedAt = shell.now.get();
    }
    assertThat(calls).singleElement().satisfies(c -> assertThat(c.target).isEqualTo(bob));
    // Punctuations run at START + 100, + 200, ...: the first at or after START + 1050 is + 1100.
    assertThat(firedAt - START).isEqualTo(1_100);
  }
}
