package io.kstatefun.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.sdk.types.Types;
import org.apache.flink.statefun.sdk.java.message.EgressMessageWrapper;
import org.junit.jupiter.api.Test;

class KafkaEgressMessageTest {
  private static final TypeName EGRESS = TypeName.of("example", "out");

  @Test
  void shouldCarryTopicKeyAndValueAsAKafkaProducerRecord() {
    EgressMessage message =
        KafkaEgressMessage.forEgress(EGRESS)
            .withTopic("greetings")
            .withUtf8Key("alice")
            .withUtf8Value("hi")
            .build();

    assertThat(message.targetEgress()).isEqualTo(EGRESS);
    assertThat(message.valueTypeNameString())
        .isEqualTo("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
    assertThat(message.isKafkaProducerRecord()).isTrue();
    assertThat(message.asKafkaProducerRecord())
        .isEqualTo(
            KafkaProducerRecord.newBuilder()
                .setTopic("greetings")
                .setKey("alice")
                .setValueBytes(com.google.protobuf.ByteString.copyFromUtf8("hi"))
                .build());
  }

  @Test
  void shouldEncodeTypedValuesWithTheirSerializer() {
    EgressMessage message =
        KafkaEgressMessage.forEgress(EGRESS)
            .withTopic("t")
            .withValue(Types.stringType(), "wrapped")
            .build();

    byte[] value = message.asKafkaProducerRecord().getValueBytes().toByteArray();
    assertThat(Types.stringType().typeSerializer().deserialize(value)).isEqualTo("wrapped");
    assertThat(message.asKafkaProducerRecord().getKey()).as("no key").isEmpty();
  }

  @Test
  void shouldProduceTheSameBytesAsTheOfficialSdk() {
    EgressMessage ours =
        KafkaEgressMessage.forEgress(EGRESS)
            .withTopic("t")
            .withUtf8Key("k")
            .withValue(new byte[] {1, 2})
            .build();
    EgressMessageWrapper official =
        (EgressMessageWrapper)
            org.apache.flink.statefun.sdk.java.io.KafkaEgressMessage.forEgress(
                    org.apache.flink.statefun.sdk.java.TypeName.typeNameOf("example", "out"))
                .withTopic("t")
                .withUtf8Key("k")
                .withValue(new byte[] {1, 2})
                .build();

    assertThat(ours.typedValue().toByteArray()).isEqualTo(official.typedValue().toByteArray());
  }

  @Test
  void shouldRequireTopicAndValue() {
    assertThatThrownBy(() -> KafkaEgressMessage.forEgress(EGRESS).withUtf8Value("v").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example/out")
        .hasMessageContaining("topic");
    assertThatThrownBy(() -> KafkaEgressMessage.forEgress(EGRESS).withTopic("t").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("value");
  }

  @Test
  void shouldRefuseToReadAGenericEgressMessageAsAKafkaRecord() {
    EgressMessage generic = EgressMessageBuilder.forEgress(EGRESS).withValue(3).build();

    assertThat(generic.isKafkaProducerRecord()).isFalse();
    assertThat(generic.as(Types.integerType())).isEqualTo(3);
    assertThatThrownBy(generic::asKafkaProducerRecord)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("io.statefun.types/int");
  }

  @Test
  void shouldRefuseToReadAMessageAsAnotherType() {
    Message message = MessageBuilder.forAddress(EGRESS, "a").withValue("text").build();

    assertThat(message.isUtf8String()).isTrue();
    assertThat(message.isInt()).isFalse();
    assertThatThrownBy(message::asInt)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("io.statefun.types/string")
        .hasMessageContaining("io.statefun.types/int");
  }
}
