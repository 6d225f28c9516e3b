package io.kstatefun.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TypeNamesTest {

  @Test
  void shouldParseFunctionTypeIntoNamespaceAndName() {
    FunctionType type = FunctionType.parse("com.example.fns/greeter");

    assertThat(type.namespace()).isEqualTo("com.example.fns");
    assertThat(type.name()).isEqualTo("greeter");
    assertThat(type).hasToString("com.example.fns/greeter");
    assertThat(type.toTypeName()).isEqualTo(new TypeName("com.example.fns", "greeter"));
  }

  @Test
  void shouldParseTypeNameWithDotsInName() {
    TypeName type =
        TypeName.parse("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");

    assertThat(type.namespace()).isEqualTo("type.googleapis.com");
    assertThat(type.name()).isEqualTo("io.statefun.sdk.egress.KafkaProducerRecord");
  }

  @ParameterizedTest
  @ValueSource(strings = {"greeter", "a/b/c", "/greeter", "com.example/", "/", ""})
  void shouldRejectFunctionTypesWithoutExactlyOneSlashOrWithEmptyParts(String text) {
    assertThatThrownBy(() -> FunctionType.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("function type '" + text + "'")
        .hasMessageContaining("<namespace>/<name>");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nslash", "a/b/c", "/b", "a/"})
  void shouldRejectInvalidTypeNames(String text) {
    assertThatThrownBy(() -> TypeName.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type name '" + text + "'");
  }

  @Test
  void shouldRejectSlashInsideAPart() {
    assertThatThrownBy(() -> new FunctionType("a/b", "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not contain '/'");
  }

  @Test
  void shouldConvertAddressToAndFromProto() {
    Address address = new Address(FunctionType.parse("com.example/greeter"), "alice");

    io.kstatefun.protocol.Address proto = address.toProto();

    assertThat(proto.getNamespace()).isEqualTo("com.example");
    assertThat(proto.getType()).isEqualTo("greeter");
    assertThat(proto.getId()).isEqualTo("alice");
    assertThat(Address.fromProto(proto)).isEqualTo(address);
    assertThat(address).hasToString("com.example/greeter/alice");
  }

  @Test
  void shouldRejectProtoAddressWithoutType() {
    io.kstatefun.protocol.Address proto =
        io.kstatefun.protocol.Address.newBuilder().setNamespace("com.example").setId("x").build();

    assertThatThrownBy(() -> Address.fromProto(proto))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name");
  }
}
