package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.IngressRouter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ForwardHeadersParsingTest {

  private static final String INGRESS =
      """
      kind: io.statefun.kafka.v1/ingress
      spec:
        id: example/orders-in
        address: kafka:9092
        consumerGroupId: my-group
      %s
        topics:
          - topic: orders
            valueType: example/Order
            targets: [example/order-fn]
      %s
          - topic: audit-log
            valueType: example/AuditEntry
            targets: [example/audit-fn]
      %s
      """;

  private static List<IngressTopic> topics(String ingressLevel, String orders, String audit) {
    String yaml = INGRESS.formatted(ingressLevel, orders, audit);
    return ModuleParser.parse(yaml, "inline.yaml").ingresses().get(0).topics();
  }

  @Test
  void shouldForwardNothingByDefault() {
    List<IngressTopic> topics = topics("", "", "");
    assertThat(topics).extracting(IngressTopic::forwardHeaders).containsOnly(ForwardHeaders.NONE);
  }

  @Test
  void shouldLetTheTopicOverrideTheIngressInEitherDirection() {
    List<IngressTopic> topics = topics("  forwardHeaders: true", "", "      forwardHeaders: false");
    assertThat(topics.get(0).forwardHeaders()).isEqualTo(ForwardHeaders.ALL);
    assertThat(topics.get(1).forwardHeaders()).isEqualTo(ForwardHeaders.NONE);

    topics = topics("  forwardHeaders: false", "      forwardHeaders: true", "");
    assertThat(topics.get(0).forwardHeaders()).isEqualTo(ForwardHeaders.ALL);
    assertThat(topics.get(1).forwardHeaders()).isEqualTo(ForwardHeaders.NONE);
  }

  @Test
  void shouldReadAnAllowListAtEitherLevel() {
    List<IngressTopic> topics =
        topics(
            "  forwardHeaders: [traceparent, x-tenant]",
            "      forwardHeaders: [x-correlation-id]",
            "");
    assertThat(topics.get(0).forwardHeaders().allowed()).containsExactly("x-correlation-id");
    assertThat(topics.get(0).forwardHeaders().forwards("traceparent")).isFalse();
    assertThat(topics.get(1).forwardHeaders().allowed()).containsExactly("traceparent", "x-tenant");
    assertThat(topics.get(1).forwardHeaders().forwards("X-Tenant")).isFalse();
  }

  @Test
  void shouldRejectOtherValuesNamingTheKey() {
    assertThatThrownBy(() -> topics("  forwardHeaders: 3", "", ""))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining("forwardHeaders")
        .hasMessageContaining("true, false or a list of header keys");
    assertThatThrownBy(() -> topics("", "      forwardHeaders: [a, a]", ""))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining("duplicate header key 'a'");
  }

  @Test
  void shouldRequireIngressesSharingATopicToAgree() {
    String yaml =
        INGRESS.formatted("  forwardHeaders: true", "", "")
            + """
            ---
            kind: io.statefun.kafka.v1/ingress
            spec:
              id: example/orders-too
              topics:
                - topic: orders
                  valueType: example/Order
                  targets: [example/other-fn]
            """;
    assertThatThrownBy(() -> IngressRouter.of(ModuleParser.parse(yaml, "inline.yaml").ingresses()))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining("different forwardHeaders (true vs false)");
  }

  @Test
  void shouldExposeTheTopicPolicyThroughTheRouter() {
    String yaml = INGRESS.formatted("", "      forwardHeaders: [traceparent]", "");
    IngressRouter router = IngressRouter.of(ModuleParser.parse(yaml, "inline.yaml").ingresses());
    assertThat(router.forwardHeaders("orders").allowed()).isEqualTo(Set.of("traceparent"));
    assertThat(router.forwardHeaders("audit-log")).isEqualTo(ForwardHeaders.NONE);
    assertThat(router.forwardHeaders("unknown")).isEqualTo(ForwardHeaders.NONE);
  }
}
