package io.kstatefun.sdk.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.sdk.TypeName;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TypesTest {

  /** A built-in type of this SDK, the official SDK's counterpart, and a sample value. */
  static Stream<Arguments> builtIns() {
    return Stream.of(
        args(Types.integerType(), org.apache.flink.statefun.sdk.java.types.Types.integerType(), 0),
        args(Types.integerType(), org.apache.flink.statefun.sdk.java.types.Types.integerType(), 42),
        args(Types.integerType(), org.apache.flink.statefun.sdk.java.types.Types.integerType(), -1),
        args(
            Types.integerType(),
            org.apache.flink.statefun.sdk.java.types.Types.integerType(),
            Integer.MIN_VALUE),
        args(Types.longType(), org.apache.flink.statefun.sdk.java.types.Types.longType(), 0L),
        args(
            Types.longType(),
            org.apache.flink.statefun.sdk.java.types.Types.longType(),
            Long.MAX_VALUE),
        args(Types.longType(), org.apache.flink.statefun.sdk.java.types.Types.longType(), -7L),
        args(
            Types.booleanType(),
            org.apache.flink.statefun.sdk.java.types.Types.booleanType(),
            true),
        args(
            Types.booleanType(),
            org.apache.flink.statefun.sdk.java.types.Types.booleanType(),
            false),
        args(Types.floatType(), org.apache.flink.statefun.sdk.java.types.Types.floatType(), 0.0f),
        args(Types.floatType(), org.apache.flink.statefun.sdk.java.types.Types.floatType(), 1.5f),
        args(
            Types.floatType(),
            org.apache.flink.statefun.sdk.java.types.Types.floatType(),
            Float.NaN),
        args(Types.doubleType(), org.apache.flink.statefun.sdk.java.types.Types.doubleType(), 0.0),
        args(
            Types.doubleType(), org.apache.flink.statefun.sdk.java.types.Types.doubleType(), -2.25),
        args(Types.stringType(), org.apache.flink.statefun.sdk.java.types.Types.stringType(), ""),
        args(
            Types.stringType(),
            org.apache.flink.statefun.sdk.java.types.Types.stringType(),
            "hello"),
        args(
            Types.stringType(),
            org.apache.flink.statefun.sdk.java.types.Types.stringType(),
            "grüße, 世界 🌍"),
        args(
            Types.stringType(),
            org.apache.flink.statefun.sdk.java.types.Types.stringType(),
            "x".repeat(300)));
  }

  private static Arguments args(
      Type<?> ours, org.apache.flink.statefun.sdk.java.types.Type<?> official, Object value) {
    return Arguments.of(ours, official, value);
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("builtIns")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void shouldEncodeBuiltInsExactlyLikeTheOfficialSdk(
      Type ours, org.apache.flink.statefun.sdk.java.types.Type official, Object value) {
    byte[] ourBytes = ours.typeSerializer().serialize(value);
    byte[] officialBytes = official.typeSerializer().serialize(value).toByteArray();

    assertThat(ours.typeName().asString()).isEqualTo(official.typeName().asTypeNameString());
    assertThat(ourBytes).isEqualTo(officialBytes);
    assertThat(ours.typeSerializer().deserialize(officialBytes)).isEqualTo(value);
    assertThat(official.typeSerializer().deserialize(Slices.wrap(ourBytes))).isEqualTo(value);
  }

  /**
   * A known, deliberate difference: the official SDK's (older, shaded) protobuf writes -0.0 like
   * 0.0 and so loses the sign; we keep it. Both SDKs read both encodings.
   */
  @Test
  void shouldKeepTheSignOfNegativeZeroWhichTheOfficialSdkDrops() {
    byte[] ourFloat = Types.floatType().typeSerializer().serialize(-0.0f);
    byte[] ourDouble = Types.doubleType().typeSerializer().serialize(-0.0);
    var officialFloat = org.apache.flink.statefun.sdk.java.types.Types.floatType().typeSerializer();
    var officialDouble =
        org.apache.flink.statefun.sdk.java.types.Types.doubleType().typeSerializer();

    assertThat(officialFloat.serialize(-0.0f).toByteArray()).isEmpty();
    assertThat(ourFloat).isNotEmpty();
    assertThat(Float.floatToRawIntBits(officialFloat.deserialize(Slices.wrap(ourFloat))))
        .isEqualTo(Float.floatToRawIntBits(-0.0f));
    assertThat(Double.doubleToRawLongBits(officialDouble.deserialize(Slices.wrap(ourDouble))))
        .isEqualTo(Double.doubleToRawLongBits(-0.0));
    assertThat(Types.floatType().typeSerializer().deserialize(new byte[0])).isEqualTo(0.0f);
  }

  @Test
  void shouldNameTheBuiltInTypesAsStateFunDoes() {
    assertThat(
            List.of(
                Types.booleanType(),
                Types.integerType(),
                Types.longType(),
                Types.floatType(),
                Types.doubleType(),
                Types.stringType()))
        .extracting(type -> type.typeName().asString())
        .containsExactly(
            "io.statefun.types/bool",
            "io.statefun.types/int",
            "io.statefun.types/long",
            "io.statefun.types/float",
            "io.statefun.types/double",
            "io.statefun.types/string");
  }

  /** A JSON-mapped value class. */
  public record Greeting(String name, int times) {}

  @Test
  void shouldRoundTripJsonValues() {
    Type<Greeting> type = Types.jsonType(TypeName.of("example", "greeting"), Greeting.class);

    byte[] bytes = type.typeSerializer().serialize(new Greeting("alice", 2));

    assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"name\":\"alice\",\"times\":2}");
    assertThat(type.typeSerializer().deserialize(bytes)).isEqualTo(new Greeting("alice", 2));
  }

  @Test
  void shouldNameProtobufTypesAfterTheMessageLikeStateFunSdks() {
    Type<KafkaProducerRecord> type = Types.protobufType(KafkaProducerRecord.getDefaultInstance());
    KafkaProducerRecord record = KafkaProducerRecord.newBuilder().setTopic("t").setKey("k").build();

    assertThat(type.typeName().asString())
        .isEqualTo("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
    assertThat(type.typeSerializer().deserialize(type.typeSerializer().serialize(record)))
        .isEqualTo(record);
  }

  @Test
  void shouldNameTheTypeWhenDeserializationFails() {
    Type<Greeting> type = Types.jsonType(TypeName.of("example", "greeting"), Greeting.class);

    assertThatThrownBy(() -> type.typeSerializer().deserialize(new byte[] {'{'}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example/greeting");
  }

  @Test
  void shouldNameTheTypeWhenASimpleSerializerFails() {
    Type<String> type =
        Types.simpleType(
            TypeName.of("example", "picky"),
            value -> {
              throw new java.io.IOException("no " + value);
            },
            bytes -> "x");

    assertThatThrownBy(() -> type.typeSerializer().serialize("way"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example/picky")
        .hasMessageContaining("no way");
  }
}
