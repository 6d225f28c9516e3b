package io.kstatefun.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.kstatefun.chaos.harness.ChaosRun;
import io.kstatefun.chaos.harness.ChaosSettings;
import io.kstatefun.chaos.harness.ChaosSummary;
import io.kstatefun.chaos.harness.RoundResult;
import io.kstatefun.chaos.workload.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos rounds, one dynamic test per round: real brokers, runtimes and function servers as
 * processes, faults chosen by the seed, invariants checked on the read_committed output (see
 * README.md). The default build runs one short round; {@code mvn -Pchaos verify -pl chaos-tests
 * -Dchaos.rounds=50 -Dchaos.seed=N} runs full ones. A failing round prints its seed and the command
 * that replays it.
 */
class ChaosIT {

  /** Hard bound of one round; its phases have their own, smaller bounds. */
  private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(30);

  private static ChaosSettings settings;
  private static ChaosRun run;

  @BeforeAll
  static void setUp() {
    // This JVM's Kafka clients complain loudly while brokers are down on purpose.
    org.apache.logging.log4j.core.config.Configurator.setLevel(
        "org.apache.kafka", org.apache.logging.log4j.Level.ERROR);
    settings = ChaosSettings.fromSystemProperties();
    run = new ChaosRun(settings);
  }

  @AfterAll
  static void summarize() {
    if (run == null) {
      return;
    }
    Path file = run.writeSummary();
    ChaosSummary summary = run.summary();
    run.close();
    System.out.println("[chaos] summary (" + file + "):");
    System.out.println(Json.pretty(summary));
  }

  @TestFactory
  @Timeout(60) // creating the tests; each round is bounded by ROUND_TIMEOUT
  Stream<DynamicTest> chaosRounds() {
    return IntStream.range(0, settings.rounds())
        .mapToObj(
            i ->
                DynamicTest.dynamicTest(
                    "round " + i + " seed " + settings.seedOf(i),
                    () -> {
                      RoundResult result =
                          assertTimeoutPreemptively(ROUND_TIMEOUT, () -> run.round(i));
                      String replay =
                          "replay: -Dchaos.length="
                              + settings.config().name()
                              + " -Dchaos.seed="
                              + result.seed()
                              + " -Dchaos.rounds=1";
                      assertThat(result.error())
                          .as("harness error in round %d seed %d (%s)", i, result.seed(), replay)
                          .isNull();
                      if (settings.expectViolations()) {
                        assertThat(result.violations())
                            .as(
                                "the verifier must catch the broken runtime in round %d seed %d (%s)",
                                i, result.seed(), replay)
                            .isNotEmpty();
                      } else {
                        assertThat(result.violations())
                            .as("violations in round %d seed %d (%s)", i, result.seed(), replay)
                            .isEmpty();
                      }
                    }));
  }
}
