package io.kstatefun.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChaosSettingsTest {

  private final List<String> setProperties = new ArrayList<>();

  @AfterEach
  void clearProperties() {
    setProperties.forEach(System::clearProperty);
  }

  @Test
  void theReplayCommandRebuildsTheSameRound() {
    ChaosSettings original =
        new ChaosSettings(
            RoundConfig.SHORT
                .withBrokers(3)
                .withFaultKinds(EnumSet.of(FaultPlan.Kind.RUNTIME_KILL, FaultPlan.Kind.BROKER_KILL))
                .withProcessingGuarantee("at_least_once"),
            7,
            4242,
            true,
            false,
            Path.of("target"),
            (short) 2,
            Map.of("commit.interval.ms", "50"));

    String replay = original.replayCommand(4245);
    assertThat(replay).startsWith("mvn -Pchaos verify -pl chaos-tests ");
    ChaosSettings replayed = fromCommand(replay);

    assertThat(replayed.config()).isEqualTo(original.config());
    assertThat(replayed.baseSeed()).isEqualTo(4245);
    assertThat(replayed.rounds()).isEqualTo(1);
    assertThat(replayed.transactionVersion()).isEqualTo((short) 2);
    assertThat(replayed.runtimeSettings()).isEqualTo(original.runtimeSettings());
  }

  @Test
  void aDefaultRoundReplaysWithTheBrokerDefaultTransactionVersion() {
    ChaosSettings original =
        new ChaosSettings(
            RoundConfig.SHORT, 1, 9, false, false, Path.of("target"), (short) 0, Map.of());
    String replay = original.replayCommand(9);
    assertThat(replay)
        .doesNotContain("chaos.faults", "chaos.brokers", "chaos.guarantee", "runtimeSettings");
    assertThat(fromCommand(replay).config()).isEqualTo(original.config());
    assertThat(replay).contains("-Dchaos.transactionVersion=0");
  }

  /** Sets the command's -D properties as Maven would pass them to the test JVM, then reads them. */
  private ChaosSettings fromCommand(String command) {
    for (String token : command.split(" ")) {
      if (token.startsWith("-D")) {
        int eq = token.indexOf('=');
        String key = token.substring(2, eq);
        System.setProperty(key, token.substring(eq + 1));
        setProperties.add(key);
      }
    }
    return ChaosSettings.fromSystemProperties();
  }
}
