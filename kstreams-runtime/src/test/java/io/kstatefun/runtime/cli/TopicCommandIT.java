package io.kstatefun.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.localkafka.LocalKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code kstatefun topic create}, as the README tells users to run it, on a real broker. */
class TopicCommandIT {

  @Test
  @Timeout(120)
  void shouldCreateMissingTopicsAndLeaveExistingOnes() throws Exception {
    try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
      PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
      String[] args = {
        "topic",
        "create",
        "names",
        "greetings",
        "--partitions",
        "3",
        "--bootstrap-servers",
        kafka.bootstrapServers()
      };

      assertThat(KStatefunCli.run(args, o, e)).isZero();
      assertThat(KStatefunCli.run(args, o, e)).isZero();

      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains(
              "created topic names with 3 partitions",
              "created topic greetings with 3 partitions",
              "topic names exists",
              "topic greetings exists");
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        assertThat(
                admin
                    .describeTopics(java.util.List.of("names"))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get("names")
                    .partitions())
            .hasSize(3);
      }
    }
  }

  @Test
  @Timeout(30)
  void shouldRejectACreateWithoutTopicNames() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        KStatefunCli.run(
            new String[] {"topic", "create"},
            System.out,
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Missing required parameter: 'NAME'");
  }
}
