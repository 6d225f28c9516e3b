package io.kstatefun.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KStatefunConfigTest {

  private static Map<String, Object> settings(Object... keyValues) {
    Map<String, Object> m = new HashMap<>();
    m.put("application.id", "app");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static String guarantee(Map<String, Object> user) {
    return new KStatefunConfig(user)
        .requireProcessingGuarantee(KStatefunConfig.streamsProperties(user));
  }

  @Test
  void shouldRunWithExactlyOnceByDefault() {
    assertThat(guarantee(settings())).isEqualTo("exactly_once_v2");
    assertThat(guarantee(settings("processing.guarantee", "exactly_once_v2")))
        .isEqualTo("exactly_once_v2");
  }

  @Test
  void shouldRefuseAnyOtherProcessingGuarantee() {
    assertThatThrownBy(() -> guarantee(settings("processing.guarantee", "at_least_once")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processing.guarantee")
        .hasMessageContaining("at_least_once")
        .hasMessageContaining("exactly_once_v2 only")
        .hasMessageContaining("kstatefun.allow.at.least.once=true");
    assertThatThrownBy(() -> guarantee(settings("processing.guarantee", "exactly_once")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(
            () ->
                guarantee(
                    settings(
                        "processing.guarantee",
                        "at_least_once",
                        KStatefunConfig.ALLOW_AT_LEAST_ONCE_CONFIG,
                        "false")))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void shouldAllowAtLeastOnceOnlyWithTheExplicitSwitch() {
    assertThat(
            guarantee(
                settings(
                    "processing.guarantee",
                    "at_least_once",
                    KStatefunConfig.ALLOW_AT_LEAST_ONCE_CONFIG,
                    "true")))
        .isEqualTo("at_least_once");
  }

  @Test
  @Timeout(30)
  void shouldRefuseToStartWithAtLeastOnceBeforeConnectingToKafka() {
    Map<String, Object> props =
        settings("bootstrap.servers", "127.0.0.1:1", "processing.guarantee", "at_least_once");
    assertThatThrownBy(() -> KStatefunRuntime.start(ModuleSpec.empty(), props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kstatefun.allow.at.least.once");
  }

  @Test
  void shouldSizeChangelogTopicsToTheProducersMaxRequestSize() {
    assertThat(new KStatefunConfig(settings()).producerMaxRequestSize()).isEqualTo(1024 * 1024);
    assertThat(KStatefunConfig.streamsProperties(settings()))
        .containsEntry("topic.max.message.bytes", "1048576");

    Map<String, Object> raised = settings("producer.max.request.size", "4194304");
    assertThat(new KStatefunConfig(raised).producerMaxRequestSize()).isEqualTo(4 * 1024 * 1024);
    assertThat(KStatefunConfig.streamsProperties(raised))
        .containsEntry("topic.max.message.bytes", "4194304");
    assertThat(new KStatefunConfig(settings("max.request.size", 2097152)).producerMaxRequestSize())
        .isEqualTo(2097152);

    Properties own =
        KStatefunConfig.streamsProperties(settings("topic.max.message.bytes", "8388608"));
    assertThat(own).containsEntry("topic.max.message.bytes", "8388608");
  }

  @Test
  void shouldRefuseAMaxRequestSizeTooSmallForTheRuntimesRecords() {
    assertThatThrownBy(
            () ->
                new KStatefunConfig(settings("producer.max.request.size", "1000"))
                    .producerMaxRequestSize())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("producer.max.request.size")
        .hasMessageContaining("at least 65536");
  }
}
