package io.kstatefun.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TypeNameTest {

  @Test
  void shouldParseAndPrintNamespaceSlashName() {
    TypeName name =
        TypeName.parse("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");

    assertThat(name.namespace()).isEqualTo("type.googleapis.com");
    assertThat(name.name()).isEqualTo("io.statefun.sdk.egress.KafkaProducerRecord");
    assertThat(name).isEqualTo(TypeName.of(name.namespace(), name.name()));
    assertThat(name.asString()).isEqualTo(name.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "noslash", "/name", "ns/", "a/b/c"})
  void shouldRejectTypeNamesWithoutExactlyOneSlash(String invalid) {
    assertThatThrownBy(() -> TypeName.parse(invalid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + invalid + "'");
  }

  @Test
  void shouldRejectPartsContainingASlash() {
    assertThatThrownBy(() -> TypeName.of("a/b", "c")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TypeName.of("a", "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldPrintAddressesAsTypeSlashId() {
    assertThat(Address.of("example", "greeter", "alice")).hasToString("example/greeter/alice");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1abc", "with space", "dash-ed", "dot.ted"})
  void shouldRejectInvalidStateNames(String invalid) {
    assertThatThrownBy(() -> ValueSpec.named(invalid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid state name");
  }

  @Test
  void shouldDeclareStatesWithTypeAndExpiration() {
    ValueSpec<Long> spec =
        ValueSpec.named("_seen_2").thatExpiresAfterCall(Duration.ofMinutes(5)).withLongType();

    assertThat(spec.name()).isEqualTo("_seen_2");
    assertThat(spec.typeName().asString()).isEqualTo("io.statefun.types/long");
    assertThat(spec.expiration()).isEqualTo(Expiration.afterCall(Duration.ofMinutes(5)));
    assertThat(ValueSpec.named("x").withIntType().expiration().mode())
        .isEqualTo(Expiration.Mode.NONE);
  }

  @Test
  void shouldRejectNonPositiveExpirations() {
    assertThatThrownBy(() -> ValueSpec.named("x").thatExpiresAfterWrite(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRejectDuplicateStateNamesAndFunctionTypes() {
    TypeName type = TypeName.of("example", "f");
    assertThatThrownBy(
            () ->
                StatefulFunctionSpec.builder(type)
                    .withValueSpecs(
                        ValueSpec.named("a").withIntType(), ValueSpec.named("a").withLongType()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example/f")
        .hasMessageContaining("'a'");

    StatefulFunctionSpec spec =
        StatefulFunctionSpec.builder(type).withSupplier(() -> (c, m) -> c.done()).build();
    assertThatThrownBy(() -> FunctionRegistry.of(spec, spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example/f");
  }

  @Test
  void shouldRequireASupplier() {
    assertThatThrownBy(() -> StatefulFunctionSpec.builder(TypeName.of("example", "f")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example/f");
  }
}
