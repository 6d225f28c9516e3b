package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The settings the docs tell users to pass with {@code bin/kstatefun run --set KEY=VALUE} reach
 * what they configure (docs/configuration.md, docs/failure-handling.md, README.md).
 */
class RuntimeSettingsTest {

  private static Map<String, Object> settings(Object... keyValues) {
    Map<String, Object> m = new HashMap<>();
    m.put("application.id", "app");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static RuntimeServices services(KStatefunConfig config) {
    return new RuntimeServices(
        config,
        ModuleSpec.empty(),
        null,
        null,
        null,
        8,
        System::currentTimeMillis,
        RuntimeListener.NONE,
        topic -> true);
  }

  @Test
  void shouldApplyTheDispatcherLimitsAndCommitSettings() {
    RuntimeServices services =
        services(
            new KStatefunConfig(
                settings(
                    KStatefunConfig.MAX_BATCH_SIZE_CONFIG, "7",
                    KStatefunConfig.MAX_PENDING_TIMERS_CONFIG, "11",
                    KStatefunConfig.MAX_IN_FLIGHT_PER_TASK_CONFIG, "13",
                    KStatefunConfig.MAX_MAILBOX_SIZE_CONFIG, "17",
                    KStatefunConfig.COMMIT_ON_OUTPUT_CONFIG, "false",
                    KStatefunConfig.COMMIT_MIN_INTERVAL_MS_CONFIG, "250",
                    KStatefunConfig.COMMIT_LIGHT_INTERVAL_MS_CONFIG, "100",
                    KStatefunConfig.COMMIT_LIGHT_MAX_RECORDS_CONFIG, "2")));

    Dispatcher.Limits limits = services.limits();
    assertThat(limits.maxBatchSize()).isEqualTo(7);
    assertThat(limits.maxPendingTimers()).isEqualTo(11);
    assertThat(limits.maxInFlight()).isEqualTo(13);
    assertThat(limits.maxMailboxSize()).isEqualTo(17);
    assertThat(services.commitOnOutput()).isFalse();
    CommitPacer.ThreadState thread = services.commitPacer().thread();
    assertThat(services.commitPacer().tryRequest(thread, 1_000)).isZero();
    assertThat(services.commitPacer().tryRequest(thread, 1_050)).isEqualTo(50); // light load
    for (int i = 0; i < 3; i++) {
      services.commitPacer().recordProcessed(thread);
    }
    assertThat(services.commitPacer().tryRequest(thread, 1_100)).isEqualTo(150); // busy
  }

  @Test
  void shouldUseTheDocumentedDefaults() {
    RuntimeServices services = services(new KStatefunConfig(settings()));

    Dispatcher.Limits limits = services.limits();
    assertThat(limits.maxBatchSize()).isEqualTo(1000);
    assertThat(limits.maxPendingTimers()).isEqualTo(1_000_000);
    assertThat(limits.maxInFlight()).isEqualTo(1024);
    assertThat(limits.maxMailboxSize()).as("0 = unlimited").isEqualTo(Long.MAX_VALUE);
    assertThat(limits.maxNegotiationRounds())
        .as("failure-handling.md: 3 negotiation rounds")
        .isEqualTo(3);
    assertThat(limits.maxWaiting())
        .as("failure-handling.md: at most 100 000 waiting addresses")
        .isEqualTo(100_000);
    assertThat(services.commitOnOutput()).isTrue();
    assertThat(services.loopbackTopic()).isEqualTo("app-loopback");
    assertThat(services.doorbellTopic()).isEqualTo("app-doorbell");
    assertThat(services.deadLetterTopic()).isEqualTo("app-dead-letters");
  }

  @Test
  void shouldNameTheRuntimesTopicsAsConfigured() {
    RuntimeServices services =
        services(
            new KStatefunConfig(
                settings(
                    KStatefunConfig.LOOPBACK_TOPIC_CONFIG, "lb",
                    KStatefunConfig.DOORBELL_TOPIC_CONFIG, "bell",
                    KStatefunConfig.DEAD_LETTER_TOPIC_CONFIG, "dlq")));

    assertThat(services.loopbackTopic()).isEqualTo("lb");
    assertThat(services.doorbellTopic()).isEqualTo("bell");
    assertThat(services.deadLetterTopic()).isEqualTo("dlq");
    assertThat(services.deadLetterTopicFor("any-ingress-topic")).isEqualTo("dlq");
  }

  @Test
  void shouldOnlyReserveTheDoorbellTopicWhenTheDoorbellIsEnabled() {
    ModuleSpec ingressOnDoorbell =
        ModuleParser.parse(
            "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: example/in\n  topics:\n    - topic: app-doorbell\n"
                + "      valueType: example/payload\n      targets:\n        - example/fn\n",
            "module.yaml");

    assertThatThrownBy(
            () -> TopicSetup.checkTopicRoles(new KStatefunConfig(settings()), ingressOnDoorbell))
        .hasMessageContaining("doorbell topic (kstatefun.doorbell.topic)");
    TopicSetup.checkTopicRoles(
        new KStatefunConfig(settings(KStatefunConfig.DOORBELL_ENABLED_CONFIG, "false")),
        ingressOnDoorbell);
  }

  @Test
  void shouldPassKafkaSecuritySettingsToStreamsTheAdminClientAndTheDoorbellProducer() {
    Map<String, Object> user =
        settings(
            "bootstrap.servers",
            "kafka:9093",
            "security.protocol",
            "SASL_SSL",
            "sasl.mechanism",
            "PLAIN",
            "ssl.truststore.location",
            "truststore.p12",
            "num.standby.replicas",
            "1",
            KStatefunConfig.ADMIN_PORT_CONFIG,
            "8081");

    Properties streams = KStatefunConfig.streamsProperties(user);
    assertThat(streams)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("num.standby.replicas", "1")
        .doesNotContainKey(KStatefunConfig.ADMIN_PORT_CONFIG);

    for (Map<String, Object> client :
        List.of(
            RuntimeServicesFactory.adminProperties(streams),
            RuntimeServicesFactory.doorbellProducerProperties(streams))) {
      assertThat(client)
          .containsEntry("bootstrap.servers", "kafka:9093")
          .containsEntry("security.protocol", "SASL_SSL")
          .containsEntry("sasl.mechanism", "PLAIN")
          .containsEntry("ssl.truststore.location", "truststore.p12")
          .doesNotContainKeys(
              "num.standby.replicas", "application.id", KStatefunConfig.ADMIN_PORT_CONFIG);
    }
  }
}
