package io.kstatefun.runtime.dispatch;

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
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.FunctionType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks of a response before it is applied, and the order in which they are made. */
class ResponseValidatorTest {

  private static final FunctionType COUNTER = new FunctionType("example", "counter");
  private static final String INT = "io.statefun.types/int";

  private final StateSpecRegistry specs = new StateSpecRegistry();
  private final List<String> topicsAsked = new ArrayList<>();
  private final ResponseValidator validator =
      new ResponseValidator(
          specs,
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
          });

  ResponseValidatorTest() {
    specs.register(
        COUNTER, List.of(PersistedValueSpec.newBuilder().setStateName("count").setTypeTypename(INT).build()));
  }

  @Test
  void shouldReportTheFirstProblemInTheOrderStatesEgressMessagesDelayedMessages() {
    PersistedValueMutation undeclaredState =
        PersistedValueMutation.newBuilder().setStateName("nope").setMutationType(MutationType.DELETE).build();
    EgressMessage undeclaredEgress = EgressMessage.newBuilder().setEgressNamespace("example").setEgressType("nope").build();
    FromFunction.Invocation invalidMessage =
        FromFunction.Invocation.newBuilder().setTarget(Address.newBuilder().setType("t").setId("x")).build();
    DelayedInvocation negativeDelay =
        DelayedInvocation.newBuilder().setTarget(target()).setDelayInMs(-1).build();

    InvocationResponse.Builder response =
        InvocationResponse.newBuilder()
            .addStateMutations(undeclaredState)
            .addOutgoingEgresses(undeclaredEgress)
            .addOutgoingMessages(invalidMessage)
            .addDelayedInvocations(negativeDelay);
    assertThat(validator.validate(COUNTER, response.build()).reason())
        .isEqualTo(DeadLetterReason.UNDECLARED_STATE_MUTATION);

    response.clearStateMutations();
    assertThat(validator.validate(COUNTER, response.build()).reason()).isEqualTo(DeadLetterReason.UNKNOWN_EGRESS);

    response.clearOutgoingEgresses();
    ResponseValidator.Verdict invalidAddress = validator.validate(COUNTER, response.build());
    assertThat(invalidAddress.reason()).isEqualTo(DeadLetterReason.INVALID_ADDRESS);
    assertThat(invalidAddress.detail()).startsWith("function sent a message to an invalid address");

    response.clearOutgoingMessages();
    ResponseValidator.Verdict delayed = validator.validate(COUNTER, response.build());
    assertThat(delayed.reason()).isEqualTo(DeadLetterReason.INVALID_DELAYED_MESSAGE);
    assertThat(delayed.detail()).isEqualTo("negative delay -1 ms");

    response.clearDelayedInvocations();
    assertThat(validator.validate(COUNTER, response.build()).valid()).isTrue();
  }

  @Test
  void shouldRejectAStateWrittenWithAnotherTypeButAcceptItsDeletion() {
    PersistedValueMutation written =
        PersistedValueMutation.newBuilder()
            .setStateName("count")
            .setMutationType(MutationType.MODIFY)
            .setStateValue(TypedValue.newBuilder().setTypename("io.statefun.types/string"))
            .build();
    assertThat(validator.validate(COUNTER, InvocationResponse.newBuilder().addStateMutations(written).build()).reason())
        .isEqualTo(DeadLetterReason.STATE_TYPE_MISMATCH);

    PersistedValueMutation deleted = written.toBuilder().setMutationType(MutationType.DELETE).build();
    assertThat(validator.validate(COUNTER, InvocationResponse.newBuilder().addStateMutations(deleted).build()).valid())
        .isTrue();
  }

  @Test
  void shouldRejectAnEgressPayloadThatIsNotAKafkaProducerRecordWithATopic() {
    EgressMessage otherType =
        kafkaEgress("out-topic").toBuilder()
            .setArgument(TypedValue.newBuilder().setTypename("io.statefun.types/string"))
            .build();
    EgressMessage noTopic = kafkaEgress("");
    EgressMessage notAProto =
        kafkaEgress("out-topic").toBuilder()
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                    .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff})))
            .build();
    for (EgressMessage message : List.of(otherType, noTopic, notAProto)) {
      ResponseValidator.Verdict verdict =
          validator.validate(COUNTER, InvocationResponse.newBuilder().addOutgoingEgresses(message).build());
      assertThat(verdict.reason()).isEqualTo(DeadLetterReason.MALFORMED_EGRESS_RECORD);
      assertThat(verdict.detail()).contains("example/out", Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME);
    }
    assertThat(topicsAsked).isEmpty();
  }

  @Test
  void shouldRejectAnEgressRecordForAMissingTopicAfterAskingTheDirectory() {
    ResponseValidator.Verdict verdict =
        validator.validate(
            COUNTER,
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(kafkaEgress("out-topic"))
                .addOutgoingEgresses(kafkaEgress("missing-topic"))
                .build());
    assertThat(verdict.reason()).isEqualTo(DeadLetterReason.EGRESS_TOPIC_MISSING);
    assertThat(verdict.egress()).isEmpty();
    assertThat(topicsAsked).containsExactly("out-topic", "missing-topic");
  }

  @Test
  void shouldReturnTheEgressRecordsOfAValidResponseInOrder() {
    ResponseValidator.Verdict verdict =
        validator.validate(
            COUNTER,
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(kafkaEgress("first"))
                .addOutgoingEgresses(kafkaEgress("second"))
                .build());
    assertThat(verdict.valid()).isTrue();
    assertThat(verdict.egress()).extracting(Action.EmitEgress::topic).containsExactly("first", "second");
    assertThat(verdict.egress()).allSatisfy(record -> {
      assertThat(record.egressId()).isEqualTo("example/out");
      assertThat(new String(record.key())).isEqualTo("k");
      assertThat(new String(record.value())).isEqualTo("v");
    });
  }

  @Test
  void shouldNotCheckTheDelayOrTargetOfACancellation() {
    DelayedInvocation cancellation =
        DelayedInvocation.newBuilder().setIsCancellationRequest(true).setCancellationToken("t").setDelayInMs(-5).build();
    assertThat(validator.validate(COUNTER, InvocationResponse.newBuilder().addDelayedInvocations(cancellation).build())
            .valid())
        .isTrue();
  }

  private static Address target() {
    return Address.newBuilder().setNamespace("example").setType("counter").setId("bob").build();
  }

  private static EgressMessage kafkaEgress(String topic) {
    KafkaProducerRecord record =
        KafkaProducerRecord.newBuilder().setTopic(topic).setKey("k").setValueBytes(ByteString.copyFromUtf8("v")).build();
    return EgressMessage.newBuilder()
        .setEgressNamespace("example")
        .setEgressType("out")
        .setArgument(
            TypedValue.newBuilder()
                .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                .setHasValue(true)
                .setValue(record.toByteString()))
        .build();
  }
}
