package io.kstatefun.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class KafkaServerMainTest {

  @Test
  void parsesAllOptions() {
    KafkaServerMain o =
        KafkaServerMain.parse(
            "--port",
            "19092",
            "--dir",
            "data/kafka",
            "--controller-port=19093",
            "--node-id",
            "2",
            "--voters",
            "1@127.0.0.1:1,2@127.0.0.1:19093",
            "--cluster-id",
            "abc",
            "--set",
            "num.partitions=3",
            "--set=log.retention.ms = 1000",
            "--startup-timeout",
            "30",
            "--parent-pid",
            "4242",
            "--verbose");
    assertThat(o.port).isEqualTo(19092);
    assertThat(o.controllerPort).isEqualTo(19093);
    assertThat(o.nodeId).isEqualTo(2);
    assertThat(o.dir).isEqualTo(Paths.get("data/kafka"));
    assertThat(o.voters).isEqualTo("1@127.0.0.1:1,2@127.0.0.1:19093");
    assertThat(o.clusterId).isEqualTo("abc");
    assertThat(o.properties).containsEntry("num.partitions", "3").hasSize(2);
    assertThat(o.startupTimeoutSeconds).isEqualTo(30);
    assertThat(o.parentPid).isEqualTo(4242L);
    assertThat(o.verbose).isTrue();
    LocalKafkaBroker broker = o.toBuilder().build();
    assertThat(broker.nodeId()).isEqualTo(2);
  }

  @Test
  void defaultsToPort9092() {
    KafkaServerMain o = KafkaServerMain.parse("--dir", "d");
    assertThat(o.port).isEqualTo(9092);
    assertThat(o.controllerPort).isZero();
    assertThat(o.nodeId).isEqualTo(1);
    assertThat(o.parentPid).isNull();
    assertThat(o.startupTimeoutSeconds).isEqualTo(120);
  }

  @Test
  void rejectsBadArguments() {
    assertThat(run("--port", "9092")).isEqualTo(2); // no --dir
    assertThat(run("--dir", "d", "--port", "x")).isEqualTo(2);
    assertThat(run("--dir", "d", "--port", "70000")).isEqualTo(2);
    assertThat(run("--dir", "d", "--bogus")).isEqualTo(2);
    assertThat(run("--dir", "d", "--set", "novalue")).isEqualTo(2);
    assertThat(run("--dir", "d", "--port")).isEqualTo(2);
    assertThat(run("--dir", "d", "--node-id", "3", "--voters", "1@127.0.0.1:1")).isEqualTo(2);
    assertThat(run("--dir", "d", "--startup-timeout", "0")).isEqualTo(2);
  }

  @Test
  void printsUsageOnHelp() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        KafkaServerMain.run(
            new String[] {"--help"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Usage: kafka", "--dir=DIR", "--port=N");
  }

  @Test
  void parsesQuorumVoters() {
    assertThat(LocalKafkaBroker.parseVoters("1@127.0.0.1:9093, 2@localhost:9094"))
        .isEqualTo(Map.of(1, 9093, 2, 9094));
    assertThatThrownBy(() -> LocalKafkaBroker.parseVoters("1@127.0.0.1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LocalKafkaBroker.parseVoters("x@h:1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                LocalKafkaBroker.builder()
                    .nodeId(1)
                    .quorumVoters("1@127.0.0.1:5")
                    .controllerPort(6)
                    .build())
        .hasMessageContaining("differs");
  }

  private static int run(String... args) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return KafkaServerMain.run(args, sink, sink);
  }
}
