package io.kstatefun.runtime.internals.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FailoverTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private static Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    p.put("application.id", "app");
    p.put("bootstrap.servers", "127.0.0.1:1");
    return p;
  }

  @Test
  void shouldAdvertiseTheAdminPortAndMakeTheMemberStatic() {
    Map<String, Object> user = props();
    Properties streamsProps = KStatefunConfig.streamsProperties(user);
    try (Failover f = Failover.prepare(new KStatefunConfig(user), streamsProps, vertx, 9123)) {
      assertThat(streamsProps.getProperty("application.server")).endsWith(":9123");
      assertThat(streamsProps.getProperty("main.consumer.group.instance.id")).startsWith("app-");
      assertThat(f.leavesOnClose()).isTrue();
    }
  }

  @Test
  void shouldStartAProbeServerWhenTheAdminPortIsNotFixed() {
    Map<String, Object> user = props();
    Properties streamsProps = KStatefunConfig.streamsProperties(user);
    try (Failover f = Failover.prepare(new KStatefunConfig(user), streamsProps, vertx, -1)) {
      String server = streamsProps.getProperty("application.server");
      int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
      assertThat(port).isPositive();
      assertThat(
              new PeerProber(java.time.Duration.ofSeconds(5))
                  .probe(java.net.URI.create("http://127.0.0.1:" + port + PeerEndpoint.PATH)))
          .as("503 before Kafka Streams is attached: alive, identity unknown")
          .isEqualTo(new ProbeResult.Alive(null));
    }
  }

  @Test
  void shouldKeepTheUsersApplicationServerAndStaticMembership() {
    Map<String, Object> user = props();
    user.put("application.server", "api.example:8080");
    user.put("group.instance.id", "mine");
    Properties streamsProps = KStatefunConfig.streamsProperties(user);
    try (Failover f = Failover.prepare(new KStatefunConfig(user), streamsProps, vertx, 9123)) {
      assertThat(streamsProps.getProperty("application.server")).isEqualTo("api.example:8080");
      assertThat(streamsProps.getProperty("main.consumer.group.instance.id")).isNull();
      assertThat(f.endpoint()).isNotNull();
      assertThat(f.leavesOnClose()).isFalse();
    }
  }

  @Test
  void shouldChangeNothingWhenDisabled() {
    Map<String, Object> user = props();
    user.put(KStatefunConfig.FAILOVER_DETECTION_ENABLED_CONFIG, "false");
    Properties streamsProps = KStatefunConfig.streamsProperties(user);
    try (Failover f = Failover.prepare(new KStatefunConfig(user), streamsProps, vertx, 9123)) {
      assertThat(streamsProps.getProperty("application.server")).isNull();
      assertThat(streamsProps.getProperty("main.consumer.group.instance.id")).isNull();
    }
  }

  @Test
  void shouldNotMakeTheMemberStaticUnderTheStreamsProtocol() {
    Map<String, Object> user = props();
    user.put("group.protocol", "streams");
    Properties streamsProps = KStatefunConfig.streamsProperties(user);
    try (Failover f = Failover.prepare(new KStatefunConfig(user), streamsProps, vertx, 9123)) {
      assertThat(streamsProps.getProperty("main.consumer.group.instance.id")).isNull();
      assertThat(streamsProps.getProperty("application.server")).endsWith(":9123");
    }
  }
}
