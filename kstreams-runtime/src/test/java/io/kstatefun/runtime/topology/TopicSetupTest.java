package io.kstatefun.runtime.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.config.KStatefunConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicSetupTest {

  private static ModuleSpec ingressOn(String topic, String extra) {
    return ModuleParser.parse(
        String.join(
            "\n",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: example/in",
            "  topics:",
            "    - topic: " + topic,
            "      valueType: example/payload",
            "      targets:",
            "        - example/fn",
            extra,
            ""),
        "module.yaml");
  }

  private static KStatefunConfig config() {
    return new KStatefunConfig(Map.of("application.id", "app"));
  }

  @Test
  void shouldRejectAnIngressOnTheLoopbackTopic() {
    assertThatThrownBy(() -> TopicSetup.checkTopicRoles(config(), ingressOn("app-loopback", "")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ingress example/in reads topic app-loopback, which is the loopback topic");
  }

  @Test
  void shouldRejectAnIngressOnADeadLetterTopicBecauseRejectsWouldLoopForever() {
    assertThatThrownBy(() -> TopicSetup.checkTopicRoles(config(), ingressOn("app-dead-letters", "")))
        .hasMessageContaining("default dead-letter topic");
    ModuleSpec two =
        ingressOn("in", "  deadLetterTopic: other-in")
            .merge(ModuleParser.parse(
                "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: example/other\n  topics:\n"
                    + "    - topic: other-in\n      valueType: example/payload\n      targets:\n        - example/fn\n",
                "other.yaml"));
    assertThatThrownBy(() -> TopicSetup.checkTopicRoles(config(), two))
        .hasMessageContaining("ingress example/other reads topic other-in, which is the dead-letter topic of ingress example/in");
  }

  @Test
  void shouldAcceptOrdinaryIngressTopics() {
    TopicSetup.checkTopicRoles(config(), ingressOn("orders", "  deadLetterTopic: orders-dlq"));
    assertThat(config().loopbackTopic()).isEqualTo("app-loopback");
  }
}
