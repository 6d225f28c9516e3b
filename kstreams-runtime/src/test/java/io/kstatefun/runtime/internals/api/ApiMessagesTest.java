package io.kstatefun.runtime.internals.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.ApiAddresses;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Request bodies to messages, replies to bodies, paths to addresses, durations, invocation ids. */
class ApiMessagesTest {

  @Test
  void shouldWrapPlainTextAsAStatefunString() throws Exception {
    TypedValue v = ApiMessages.toMessage(null, "text/plain; charset=utf-8", bytes("héllo"));

    assertThat(v.getTypename()).isEqualTo("io.statefun.types/string");
    assertThat(v.getHasValue()).isTrue();
    assertThat(StringWrapper.parseFrom(v.getValue()).getValue()).isEqualTo("héllo");
  }

  @Test
  void shouldPassACustomTypeThroughAsItsBytes() throws Exception {
    TypedValue v =
        ApiMessages.toMessage("com.example/Order", "application/json", bytes("{\"n\":1}"));

    assertThat(v.getTypename()).isEqualTo("com.example/Order");
    assertThat(v.getValue().toStringUtf8()).isEqualTo("{\"n\":1}");
  }

  @Test
  void shouldWrapBuiltInTypesGivenAsTextButNotAsProtobuf() throws Exception {
    TypedValue text = ApiMessages.toMessage("io.statefun.types/int", null, bytes(" 42\n"));
    assertThat(IntWrapper.parseFrom(text.getValue()).getValue()).isEqualTo(42);

    byte[] wrapper = IntWrapper.newBuilder().setValue(7).build().toByteArray();
    TypedValue raw =
        ApiMessages.toMessage("io.statefun.types/int", "application/x-protobuf", wrapper);
    assertThat(raw.getValue().toByteArray()).isEqualTo(wrapper);
  }

  @Test
  void shouldRefuseBodiesWithoutAKnownType() {
    assertThatThrownBy(() -> ApiMessages.toMessage(null, "application/json", bytes("{}")))
        .isInstanceOf(ApiMessages.BadMessageException.class)
        .hasMessageContaining("Statefun-Type");
    assertThatThrownBy(() -> ApiMessages.toMessage("no-slash", null, bytes("x")))
        .hasMessageContaining("is not a typename");
    assertThatThrownBy(() -> ApiMessages.toMessage("io.statefun.types/int", null, bytes("4x")))
        .hasMessageContaining("is not a value of io.statefun.types/int");
    assertThatThrownBy(
            () -> ApiMessages.toMessage(null, "text/plain", new byte[] {(byte) 0xff, (byte) 0xfe}))
        .hasMessageContaining("not UTF-8");
  }

  @Test
  void shouldUnwrapBuiltInRepliesToTextAndLeaveOthersRaw() {
    TypedValue count =
        TypedValue.newBuilder()
            .setTypename("io.statefun.types/int")
            .setHasValue(true)
            .setValue(IntWrapper.newBuilder().setValue(3).build().toByteString())
            .build();
    ApiMessages.Body body = ApiMessages.toBody(count);
    assertThat(body.contentType()).startsWith("text/plain");
    assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).isEqualTo("3");

    TypedValue custom =
        TypedValue.newBuilder()
            .setTypename("com.example/Order")
            .setHasValue(true)
            .setValue(ByteString.copyFromUtf8("{}"))
            .build();
    assertThat(ApiMessages.toBody(custom).contentType()).isEqualTo("application/octet-stream");
    assertThat(ApiMessages.toBody(custom).bytes()).isEqualTo(bytes("{}"));
  }

  @Test
  void shouldParseAddressesWithEncodedAndSlashedIds() {
    assertThat(CallRoutes.address("example/counter/a%20b"))
        .isEqualTo(new Address(new FunctionType("example", "counter"), "a b"));
    assertThat(CallRoutes.address("example/counter/x/y").id()).isEqualTo("x/y");
    assertThat(CallRoutes.address("example/counter/1+1").id()).isEqualTo("1+1");
    assertThatThrownBy(() -> CallRoutes.address("example/counter"))
        .hasMessageContaining("expected /{namespace}/{type}/{id}");
    assertThatThrownBy(() -> CallRoutes.address("kstatefun.api/call-1/x"))
        .hasMessageContaining("reserved");
  }

  @Test
  void shouldParseDurations() {
    assertThat(Durations.parseMillis("1500")).isEqualTo(1500);
    assertThat(Durations.parseMillis("500ms")).isEqualTo(500);
    assertThat(Durations.parseMillis("10s")).isEqualTo(10_000);
    assertThat(Durations.parseMillis("2m")).isEqualTo(120_000);
    assertThat(Durations.parseMillis("1h")).isEqualTo(3_600_000);
    assertThatThrownBy(() -> Durations.parseMillis("soon")).hasMessageContaining("not a duration");
  }

  @Test
  void shouldDeriveOneInvocationIdPerTargetAndKeyAndFindItsPartitionAgain() {
    Address alice = new Address(new FunctionType("example", "counter"), "alice/1");
    String id = ApiAddresses.invocationId(alice, "k1");

    assertThat(id).hasSize(32).isEqualTo(ApiAddresses.invocationId(alice, "k1"));
    assertThat(ApiAddresses.invocationId(alice, "k2")).isNotEqualTo(id);
    assertThat(
            ApiAddresses.invocationId(
                new Address(new FunctionType("example", "other"), "alice/1"), "k1"))
        .isNotEqualTo(id);

    String publicId = ApiAddresses.publicId(id, alice.id());
    io.kstatefun.protocol.Address caller = ApiAddresses.fromPublicId(publicId);
    assertThat(caller).isEqualTo(ApiAddresses.caller(id, "alice/1"));
    assertThat(ApiAddresses.invocationOf(caller)).isEqualTo(id);
    assertThat(ApiAddresses.fromPublicId("nonsense")).isNull();
    assertThat(ApiAddresses.fromPublicId(id + ".!!")).isNull();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
