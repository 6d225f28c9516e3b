package io.kstatefun.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class LocalKafkaBrokerTest {

  @Test
  void refusesANonEmptyDirectoryThatIsNotAKafkaLogDir(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "mine");
    LocalKafkaBroker broker = LocalKafkaBroker.builder().logDir(dir).build();
    assertThatThrownBy(broker::start).hasMessageContaining("not a formatted Kafka log directory");
    assertThat(dir.resolve("notes.txt")).exists();
    assertThat(broker.isRunning()).isFalse();

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    int code =
        KafkaServerMain.run(
            new String[] {"--port", "0", "--dir", dir.toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            errStream);
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("not a formatted Kafka log directory");
  }

  @Test
  void aQuorumMemberNeedsAClusterIdToFormat(@TempDir Path dir) {
    LocalKafkaBroker broker =
        LocalKafkaBroker.builder()
            .logDir(dir)
            .nodeId(1)
            .quorumVoters("1@127.0.0.1:" + KafkaSupport.freePort())
            .build();
    assertThatThrownBy(broker::start).hasMessageContaining("cluster id is required");
  }

  @Test
  void refusesToStartTwiceAndAccessorsNeedAStart() {
    LocalKafkaBroker broker = LocalKafkaBroker.builder().build();
    assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class);
    broker.close();
    assertThatThrownBy(broker::start).hasMessageContaining("closed");
  }
}
