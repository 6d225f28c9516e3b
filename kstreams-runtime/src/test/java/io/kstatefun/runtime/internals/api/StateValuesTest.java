package io.kstatefun.runtime.internals.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.types.BooleanWrapper;
import io.kstatefun.protocol.types.DoubleWrapper;
import io.kstatefun.protocol.types.FloatWrapper;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.LongWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class StateValuesTest {

  private static final String T = "io.statefun.types/";

  @Test
  void shouldDecodeTheBuiltInTypesAsTheSdksWriteThem() {
    assertThat(StateValues.decode(T + "string", sw("héllo"))).isEqualTo("héllo");
    assertThat(
            StateValues.decode(
                T + "int", IntWrapper.newBuilder().setValue(-7).build().toByteArray()))
        .isEqualTo(-7);
    assertThat(
            StateValues.decode(
                T + "long", LongWrapper.newBuilder().setValue(1L << 40).build().toByteArray()))
        .isEqualTo(1L << 40);
    assertThat(
            StateValues.decode(
                T + "bool", BooleanWrapper.newBuilder().setValue(true).build().toByteArray()))
        .isEqualTo(true);
    assertThat(
            StateValues.decode(
                T + "float", FloatWrapper.newBuilder().setValue(1.5f).build().toByteArray()))
        .isEqualTo(1.5f);
    assertThat(
            StateValues.decode(
                T + "double", DoubleWrapper.newBuilder().setValue(2.25).build().toByteArray()))
        .isEqualTo(2.25);
  }

  @Test
  void shouldLeaveOtherTypesAndUnparsableBytesUndecoded() {
    assertThat(StateValues.decode("example/custom", sw("x"))).isNull();
    assertThat(StateValues.decode(T + "int", new byte[] {(byte) 0xff})).isNull();
    assertThat(
            StateValues.decode(
                T + "double",
                DoubleWrapper.newBuilder().setValue(Double.NaN).build().toByteArray()))
        .isNull();
  }

  @Test
  void shouldGiveTypenameExpiryBytesAndDecodedValue() {
    JsonObject json =
        StateValues.json(
            StoredValue.newBuilder()
                .setName("count")
                .setTypename(T + "int")
                .setValue(
                    ByteString.copyFrom(IntWrapper.newBuilder().setValue(3).build().toByteArray()))
                .setExpiresAtMs(1234)
                .build());
    assertThat(json.getString("typename")).isEqualTo(T + "int");
    assertThat(json.getLong("expiresAtMs")).isEqualTo(1234L);
    assertThat(json.getInteger("value")).isEqualTo(3);
    assertThat(java.util.Base64.getDecoder().decode(json.getString("valueBase64")))
        .isEqualTo(IntWrapper.newBuilder().setValue(3).build().toByteArray());
  }

  private static byte[] sw(String s) {
    return StringWrapper.newBuilder().setValue(s).build().toByteArray();
  }
}
