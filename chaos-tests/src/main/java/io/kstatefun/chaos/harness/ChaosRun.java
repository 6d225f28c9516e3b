package io.kstatefun.chaos.harness;

import io.kstatefun.chaos.workload.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A chaos run: one Kafka cluster shared by {@link ChaosSettings#rounds()} rounds, each with its own
 * seed; the summary goes to {@code <outputDir>/chaos-summary.json}.
 *
 * <p>Threading: used by one thread.
 */
public final class ChaosRun implements AutoCloseable {

  private final ChaosSettings settings;
  private final Path runDir;
  private final List<RoundResult> results = new ArrayList<>();
  private ChaosKafka kafka;
  private int clusters;

  public ChaosRun(ChaosSettings settings) {
    this.settings = settings;
    this.runDir =
        settings
            .outputDir()
            .resolve("chaos")
            .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    RoundConfig c = settings.config();
    System.out.println(
        "[chaos] run: "
            + settings.rounds()
            + " "
            + c.name()
            + " round(s), base seed "
            + settings.baseSeed()
            + " (round i uses seed "
            + settings.baseSeed()
            + " + i; replay one with -Dchaos.seed=<seed> -Dchaos.rounds=1), "
            + c.brokers()
            + " broker(s), guarantee "
            + c.processingGuarantee()
            + ", faults "
            + c.faultKinds()
            + (settings.runtimeSettings().isEmpty()
                ? ""
                : ", runtime settings " + settings.runtimeSettings())
            + ", logs under "
            + runDir);
  }

  /** Runs round {@code i} (0-based) and records its result. */
  public RoundResult round(int i) {
    long seed = settings.seedOf(i);
    Path dir = runDir.resolve("round-" + i + "-seed-" + seed);
    RoundResult result;
    try {
      ensureKafka();
      result =
          new ChaosRound(
                  i,
                  seed,
                  settings.config(),
                  kafka,
                  dir,
                  settings.runtimeSettings(),
                  settings.replayCommand(seed))
              .run();
    } catch (RuntimeException e) {
      result =
          new RoundResult(
              i,
              seed,
              settings.config().name(),
              0,
              List.of(),
              List.of(),
              0,
              null,
              java.util.Map.of(),
              "Kafka cluster unavailable: " + e,
              dir.toString());
      System.out.println("[chaos] round " + i + " seed " + seed + ": " + result.outcome());
      closeKafka();
    }
    results.add(result);
    if (result.passed() && !settings.keepLogs()) {
      deleteRecursively(dir);
    }
    writeSummary();
    return result;
  }

  private void ensureKafka() {
    if (kafka != null) {
      try {
        for (int node = 1; node <= kafka.brokers(); node++) {
          if (!kafka.isRunning(node)) {
            System.out.println("[chaos] broker " + node + " is down; restarting it");
            kafka.startBroker(node);
          }
        }
        kafka.awaitFullyReplicated(Duration.ofMinutes(3));
        return;
      } catch (RuntimeException e) {
        System.out.println(
            "[chaos] the Kafka cluster is unhealthy (" + e + "); starting a new one");
        closeKafka();
      }
    }
    long t = System.currentTimeMillis();
    kafka = ChaosKafka.start(settings.config().brokers(), runDir.resolve("kafka-" + (++clusters)));
    String tv;
    try {
      tv =
          settings.transactionVersion() > 0
              ? "set to " + kafka.transactionVersion(settings.transactionVersion())
              : "default " + kafka.finalizedTransactionVersion();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the transaction.version feature", e);
    }
    System.out.println(
        "[chaos] Kafka cluster of "
            + kafka.brokers()
            + " broker(s) ready at "
            + kafka.bootstrapServers()
            + " in "
            + (System.currentTimeMillis() - t)
            + " ms; transaction.version "
            + tv);
  }

  private void closeKafka() {
    if (kafka != null) {
      try {
        kafka.close();
      } catch (RuntimeException e) {
        System.out.println("[chaos] closing Kafka: " + e);
      }
      kafka = null;
    }
  }

  public List<RoundResult> results() {
    return List.copyOf(results);
  }

  public ChaosSummary summary() {
    return ChaosSummary.of(
        settings.config(), settings.config().brokers(), settings.baseSeed(), results);
  }

  /**
   * Writes {@code chaos-summary.json} (summary) and the run's {@code rounds.json} (every round in
   * full).
   */
  public Path writeSummary() {
    try {
      Files.createDirectories(runDir);
      Files.writeString(runDir.resolve("rounds.json"), Json.pretty(results));
      Path file = settings.outputDir().resolve("chaos-summary.json");
      Files.writeString(file, Json.pretty(summary()));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    closeKafka();
    boolean allPassed = results.stream().allMatch(RoundResult::passed);
    if (allPassed && !settings.keepLogs()) {
      for (int c = 1; c <= clusters; c++) {
        deleteRecursively(runDir.resolve("kafka-" + c));
      }
    }
  }

  static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
