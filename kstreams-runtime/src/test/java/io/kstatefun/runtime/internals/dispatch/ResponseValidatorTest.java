package io.kstatefun.runtime.internals.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.Address;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Origin;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks of a response before it is applied, and the order in which they are made. */
class ResponseValidatorTest {

  private static final FunctionType COUNTER = new FunctionType("example", "counter");
  private static final String INT = "io.statefun.types/int";
  private static final io.kstatefun.routing.Address SENDER =
      new io.kstatefun.routing.Address(COUNTER, "alice");

  private final StateSpecRegistry specs = new StateSpecRegistry();
  private final List<String> topicsAsked = new ArrayList<>();
  private final InMemoryDispatchStores stores = new InMemoryDispatchStores();
  private final Dispatcher.Directory directory =
      new Dispatcher.Directory() {
        @Override
        public boolean hasFunction(FunctionType type) {
          return true;
        }

        @Override
        public boolean hasEgress(String egressId) {
          return egressId.equals("example/out");
        }

        @Override
        public boolean egressTopicExists(String topic) {
          topicsAsked.add(topic);
          return !topic.equals("missing-topic");
        }
      };
  private final ResponseValidator validator =
      new ResponseValidator(specs, directory, new OutputSizes(stores, Long.MAX_VALUE));

  ResponseValidatorTest() {
    specs.register(
        COUNTER,
        List.of(
            PersistedValueSpec.newBuilder().setStateName("count").setTypeTypename(INT).build()));
  }

  @Test
  void shouldReportTheFirstProblemInTheOrderStatesEgressMessagesDelayedMessages() {
    PersistedValueMutation undeclaredState =
        PersistedValueMutation.newBuilder()
            .setStateName("nope")
            .setMutationType(MutationType.DELETE)
            .build();
    EgressMessage undeclaredEgress =
        EgressMessage.newBuilder().setEgressNamespace("example").setEgressType("nope").build();
    FromFunction.Invocation invalidMessage =
        FromFunction.Invocation.newBuilder()
            .setTarget(Address.newBuilder().setType("t").setId("x"))
            .build();
    DelayedInvocation negativeDelay =
        DelayedInvocation.newBuilder().setTarget(target()).setDelayInMs(-1).build();

    InvocationResponse.Builder response =
        InvocationResponse.newBuilder()
            .addStateMutations(undeclaredState)
            .addOutgoingEgresses(undeclaredEgress)
            .addOutgoingMessages(invalidMessage)
            .addDelayedInvocations(negativeDelay);
    assertThat(validate(response.build()).reason())
        .isEqualTo(DeadLetterReason.UNDECLARED_STATE_MUTATION);

    response.clearStateMutations();
    assertThat(validate(response.build()).reason()).isEqualTo(DeadLetterReason.UNKNOWN_EGRESS);

    response.clearOutgoingEgresses();
    ResponseValidator.Verdict invalidAddress = validate(response.build());
    assertThat(invalidAddress.reason()).isEqualTo(DeadLetterReason.INVALID_ADDRESS);
    assertThat(invalidAddress.detail()).startsWith("function sent a message to an invalid address");

    response.clearOutgoingMessages();
    ResponseValidator.Verdict delayed = validate(response.build());
    assertThat(delayed.reason()).isEqualTo(DeadLetterReason.INVALID_DELAYED_MESSAGE);
    assertThat(delayed.detail()).isEqualTo("negative delay -1 ms");

    response.clearDelayedInvocations();
    assertThat(validate(response.build()).valid()).isTrue();
  }

  @Test
  void shouldRejectAStateWrittenWithAnotherTypeButAcceptItsDeletion() {
    PersistedValueMutation written =
        PersistedValueMutation.newBuilder()
            .setStateName("count")
            .setMutationType(MutationType.MODIFY)
            .setStateValue(TypedValue.newBuilder().setTypename("io.statefun.types/string"))
            .build();
    assertThat(
            validate(InvocationResponse.newBuilder().addStateMutations(written).build()).reason())
        .isEqualTo(DeadLetterReason.STATE_TYPE_MISMATCH);

    PersistedValueMutation deleted =
        written.toBuilder().setMutationType(MutationType.DELETE).build();
    assertThat(validate(InvocationResponse.newBuilder().addStateMutations(deleted).build()).valid())
        .isTrue();
  }

  @Test
  void shouldRejectAnEgressPayloadThatIsNotAKafkaProducerRecordWithATopic() {
    EgressMessage otherType =
        DispatcherTest.kafkaEgress("out-topic").toBuilder()
            .setArgument(TypedValue.newBuilder().setTypename("io.statefun.types/string"))
            .build();
    EgressMessage noTopic = DispatcherTest.kafkaEgress("");
    EgressMessage notAProto =
        DispatcherTest.kafkaEgress("out-topic").toBuilder()
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                    .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff})))
            .build();
    for (EgressMessage message : List.of(otherType, noTopic, notAProto)) {
      ResponseValidator.Verdict verdict =
          validate(InvocationResponse.newBuilder().addOutgoingEgresses(message).build());
      assertThat(verdict.reason()).isEqualTo(DeadLetterReason.MALFORMED_EGRESS_RECORD);
      assertThat(verdict.detail())
          .contains("example/out", Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME);
    }
    assertThat(topicsAsked).isEmpty();
  }

  @Test
  void shouldRejectAnEgressRecordForAMissingTopicAfterAskingTheDirectory() {
    ResponseValidator.Verdict verdict =
        validate(
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(DispatcherTest.kafkaEgress("out-topic"))
                .addOutgoingEgresses(DispatcherTest.kafkaEgress("missing-topic"))
                .build());
    assertThat(verdict.reason()).isEqualTo(DeadLetterReason.EGRESS_TOPIC_MISSING);
    assertThat(verdict.egress()).isEmpty();
    assertThat(topicsAsked).containsExactly("out-topic", "missing-topic");
  }

  @Test
  void shouldReturnTheEgressRecordsOfAValidResponseInOrder() {
    ResponseValidator.Verdict verdict =
        validate(
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(DispatcherTest.kafkaEgress("first"))
                .addOutgoingEgresses(DispatcherTest.kafkaEgress("second"))
                .build());
    assertThat(verdict.valid()).isTrue();
    assertThat(verdict.egress())
        .extracting(Action.EmitEgress::topic)
        .containsExactly("first", "second");
    assertThat(verdict.egress())
        .allSatisfy(
            record -> {
              assertThat(record.egressId()).isEqualTo("example/out");
              assertThat(new String(record.key())).isEqualTo("k");
              assertThat(new String(record.value())).isEqualTo("v");
            });
  }

  @Test
  void shouldNotCheckTheDelayOrTargetOfACancellation() {
    DelayedInvocation cancellation =
        DelayedInvocation.newBuilder()
            .setIsCancellationRequest(true)
            .setCancellationToken("t")
            .setDelayInMs(-5)
            .build();
    assertThat(
            validate(InvocationResponse.newBuilder().addDelayedInvocations(cancellation).build())
                .valid())
        .isTrue();
  }

  @Test
  void shouldCheckTheSizesOfTheRecordsLast() {
    ResponseValidator small = new ResponseValidator(specs, directory, new OutputSizes(stores, 200));
    FromFunction.Invocation large =
        FromFunction.Invocation.newBuilder()
            .setTarget(target())
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename(INT)
                    .setValue(ByteString.copyFrom(new byte[1000])))
            .build();
    InvocationResponse.Builder response =
        InvocationResponse.newBuilder()
            .addOutgoingMessages(large)
            .addDelayedInvocations(
                DelayedInvocation.newBuilder().setTarget(target()).setDelayInMs(-1));
    assertThat(small.validate(SENDER, response.build(), null).reason())
        .isEqualTo(DeadLetterReason.INVALID_DELAYED_MESSAGE);

    response.clearDelayedInvocations();
    ResponseValidator.Verdict verdict = small.validate(SENDER, response.build(), null);
    assertThat(verdict.reason()).isEqualTo(DeadLetterReason.OUTPUT_TOO_LARGE);
    assertThat(verdict.detail())
        .startsWith("function sent a message to example/counter/bob that would be a record of ");
    assertThat(verdict.messages()).isEmpty();
  }

  @Test
  void shouldBuildTheMessagesWithTheSenderAsCallerAndTheOriginOfTheBatch() {
    Origin origin =
        Origin.newBuilder().setTopic("in").setPartition(2).setOffset(42).setTimestampMs(7).build();
    TypedValue argument =
        TypedValue.newBuilder()
            .setTypename(INT)
            .setHasValue(true)
            .setValue(ByteString.copyFromUtf8("x"))
            .build();
    InvocationResponse response =
        InvocationResponse.newBuilder()
            .addOutgoingMessages(
                FromFunction.Invocation.newBuilder().setTarget(target()).setArgument(argument))
            .build();

    assertThat(validator.validate(SENDER, response, origin).messages())
        .singleElement()
        .satisfies(
            envelope -> {
              assertThat(envelope.getTarget()).isEqualTo(target());
              assertThat(envelope.getCaller()).isEqualTo(SENDER.toProto());
              assertThat(envelope.getArgument()).isEqualTo(argument);
              assertThat(envelope.getOrigin()).isEqualTo(origin);
            });
    assertThat(validator.validate(SENDER, response, null).messages())
        .singleElement()
        .satisfies(envelope -> assertThat(envelope.hasOrigin()).isFalse());
  }

  private ResponseValidator.Verdict validate(InvocationResponse response) {
    return validator.validate(SENDER, response, null);
  }

  private static Address target() {
    return Address.newBuilder().setNamespace("example").setType("counter").setId("bob").build();
  }
}
