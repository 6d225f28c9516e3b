package io.kstatefun.runtime.internals.topology;

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
        .hasMessageContaining(
            "ingress example/in reads topic app-loopback, which is the loopback topic");
  }

  @Test
  void shouldRejectAnIngressOnADeadLetterTopicBecauseRejectsWouldLoopForever() {
    assertThatThrownBy(
            () -> TopicSetup.checkTopicRoles(config(), ingressOn("app-dead-letters", "")))
        .hasMessageContaining("default dead-letter topic");
    ModuleSpec two =
        ingressOn("in", "  deadLetterTopic: other-in")
            .merge(
                ModuleParser.parse(
                    "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: example/other\n  topics:\n"
                        + "    - topic: other-in\n      valueType: example/payload\n      targets:\n        - example/fn\n",
                    "other.yaml"));
    assertThatThrownBy(() -> TopicSetup.checkTopicRoles(config(), two))
        .hasMessageContaining(
            "ingress example/other reads topic other-in, which is the dead-letter topic of ingress example/in");
  }

  @Test
  void shouldAcceptOrdinaryIngressTopics() {
    TopicSetup.checkTopicRoles(config(), ingressOn("orders", "  deadLetterTopic: orders-dlq"));
    assertThat(config().loopbackTopic()).isEqualTo("app-loopback");
  }

  private static final int MIB = 1024 * 1024;

  private static Map<String, String> brokerDefaults(String... overrides) {
    Map<String, String> c =
        new java.util.HashMap<>(
            Map.of(
                "retention.ms",
                "604800000",
                "retention.bytes",
                "-1",
                "cleanup.policy",
                "delete",
                "max.message.bytes",
                "1048588"));
    for (int i = 0; i < overrides.length; i += 2) {
      c.put(overrides[i], overrides[i + 1]);
    }
    return c;
  }

  @Test
  void shouldCreateTheLoopbackTopicWithoutRetentionOrCompaction() {
    Map<String, String> configs = TopicSetup.loopbackConfigs(MIB);
    assertThat(configs)
        .containsEntry("retention.ms", "-1")
        .containsEntry("retention.bytes", "-1")
        .containsEntry("cleanup.policy", "delete")
        .containsEntry("max.message.bytes", "1048576");
    assertThat(
            TopicSetup.checkTopic(
                "app-loopback", TopicSetup.Role.LOOPBACK, configs, MIB, "kafka:9092"))
        .isEmpty();
  }

  @Test
  void shouldRefuseALoopbackTopicThatDeletesUnconsumedMessages() {
    assertThat(
            TopicSetup.checkTopic(
                "app-loopback", TopicSetup.Role.LOOPBACK, brokerDefaults(), MIB, "kafka:9092"))
        .hasValueSatisfying(
            problem ->
                assertThat(problem)
                    .contains("topic app-loopback (the loopback topic) has retention.ms=604800000")
                    .contains("never delivered")
                    .contains(
                        "kafka-configs --bootstrap-server kafka:9092 --alter --entity-type topics --entity-name app-loopback"
                            + " --add-config retention.ms=-1"));
    assertThat(
            TopicSetup.checkTopic(
                "lb",
                TopicSetup.Role.LOOPBACK,
                brokerDefaults(
                    "retention.ms",
                    "-1",
                    "retention.bytes",
                    "1073741824",
                    "cleanup.policy",
                    "compact,delete"),
                MIB,
                "k:1"))
        .hasValueSatisfying(
            problem ->
                assertThat(problem)
                    .contains("retention.bytes=1073741824", "cleanup.policy=compact,delete")
                    .endsWith("--add-config retention.bytes=-1,cleanup.policy=delete"));
  }

  @Test
  void shouldRefuseTopicsThatWouldRefuseRecordsTheProducerAccepts() {
    Map<String, String> dlq = brokerDefaults("max.message.bytes", "1048588");
    assertThat(
            TopicSetup.checkTopic(
                "app-dead-letters", TopicSetup.Role.DEAD_LETTERS, dlq, MIB, "k:1"))
        .isEmpty();
    assertThat(
            TopicSetup.checkTopic(
                "app-dead-letters", TopicSetup.Role.DEAD_LETTERS, dlq, 4 * MIB, "k:1"))
        .hasValueSatisfying(
            problem ->
                assertThat(problem)
                    .contains("max.message.bytes=1048588", "max.request.size 4194304")
                    .endsWith("--add-config max.message.bytes=4194304"));
    assertThat(
            TopicSetup.checkTopic(
                "app-kstatefun-state-changelog",
                TopicSetup.Role.CHANGELOG,
                brokerDefaults("cleanup.policy", "compact"),
                4 * MIB,
                "k:1"))
        .hasValueSatisfying(
            problem ->
                assertThat(problem).contains("a changelog topic", "max.message.bytes=1048588"));
  }

  @Test
  void shouldRefuseCompactedDeadLetterAndDoorbellTopicsButKeepTheRetentionOfDeadLetters() {
    assertThat(
            TopicSetup.checkTopic(
                "dlq",
                TopicSetup.Role.DEAD_LETTERS,
                brokerDefaults("cleanup.policy", "compact"),
                MIB,
                "k:1"))
        .hasValueSatisfying(
            problem -> assertThat(problem).contains("silently drops earlier dead letters"));
    assertThat(
            TopicSetup.checkTopic(
                "bell",
                TopicSetup.Role.DOORBELL,
                brokerDefaults("cleanup.policy", "compact"),
                MIB,
                "k:1"))
        .hasValueSatisfying(
            problem -> assertThat(problem).contains("doorbell records have no key"));
    assertThat(
            TopicSetup.checkTopic(
                "dlq", TopicSetup.Role.DEAD_LETTERS, brokerDefaults(), MIB, "k:1"))
        .as("an existing dead-letter topic keeps the retention its owner chose")
        .isEmpty();
    assertThat(TopicSetup.deadLetterConfigs(config(), MIB))
        .containsEntry("retention.ms", "-1")
        .containsEntry("retention.bytes", "-1")
        .containsEntry("cleanup.policy", "delete");
    assertThat(
            TopicSetup.deadLetterConfigs(
                new KStatefunConfig(
                    Map.of(
                        "application.id", "app", "kstatefun.dead.letter.retention.ms", "86400000")),
                MIB))
        .containsEntry("retention.ms", "86400000");
  }
}
