package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.TypeName;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleSpecTest {

  private static final String INGRESS_A =
      """
      kind: io.statefun.kafka.v1/ingress
      spec:
        id: com.example/a
        topics: [{topic: shared, valueType: com.example/V, targets: [com.example/f]}]
        maxRecordBytes: 100
      """;

  @Test
  void shouldMergeComponentsKeepingOrder() {
    ModuleSpec a = ModuleParser.parse(INGRESS_A, "a.yaml");
    ModuleSpec b =
        ModuleParser.parse(
            """
            kind: io.statefun.kafka.v1/egress
            spec: {id: com.example/out}
            ---
            kind: io.statefun.kafka.v1/ingress
            spec:
              id: com.example/b
              topics: [{topic: shared, valueType: com.example/W, targets: [com.example/g]}]
              maxRecordBytes: 100
            """,
            "b.yaml");

    ModuleSpec merged = ModuleSpec.merge(List.of(a, b));

    assertThat(merged.ingresses())
        .extracting(KafkaIngressSpec::id)
        .containsExactly(TypeName.parse("com.example/a"), TypeName.parse("com.example/b"));
    assertThat(merged.egresses())
        .extracting(KafkaEgressSpec::origin)
        .containsExactly("b.yaml, document 1");
    assertThat(a.merge(ModuleSpec.empty())).isEqualTo(a);
  }

  @Test
  void shouldRejectSharedTopicWithDifferentRecordLimitsWhenMerging() {
    ModuleSpec a = ModuleParser.parse(INGRESS_A, "a.yaml");
    ModuleSpec b =
        ModuleParser.parse(
            """
            kind: io.statefun.kafka.v1/ingress
            spec:
              id: com.example/b
              topics: [{topic: shared, valueType: com.example/W, targets: [com.example/g]}]
            """,
            "b.yaml");

    assertThatThrownBy(() -> a.merge(b))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining(
            "Topic 'shared' is read by ingresses com.example/a (a.yaml, document 1) and"
                + " com.example/b (b.yaml, document 1) with different maxRecordBytes (100 vs"
                + " 1048576)");
  }

  @Test
  void shouldRejectDuplicateIngressIdAcrossFiles() {
    ModuleSpec a = ModuleParser.parse(INGRESS_A, "a.yaml");
    ModuleSpec again = ModuleParser.parse(INGRESS_A, "again.yaml");

    assertThatThrownBy(() -> a.merge(again))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessage(
            "Invalid module configuration: Duplicate ingress id com.example/a: declared by both"
                + " a.yaml, document 1 and again.yaml, document 1");
  }

  @Test
  void shouldBeImmutable() {
    ModuleSpec spec = ModuleParser.parse(INGRESS_A, "a.yaml");

    assertThatThrownBy(() -> spec.ingresses().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> spec.ingresses().get(0).properties().put("a", "b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> spec.ingresses().get(0).topics().get(0).targets().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
