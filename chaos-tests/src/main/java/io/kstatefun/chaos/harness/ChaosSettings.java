package io.kstatefun.chaos.harness;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * The parameters of a chaos run, from system properties (the chaos-tests POM passes Maven's {@code
 * -Dchaos.*} to the test JVM):
 *
 * <pre>
 * chaos.length     short | full        round shape ({@link RoundConfig#SHORT}, {@link RoundConfig#FULL})
 * chaos.rounds     N                   number of rounds
 * chaos.seed       S                   base seed; round i uses S + i (default: random, printed)
 * chaos.brokers    1 | 3               override the round shape's broker count
 * chaos.guarantee  exactly_once_v2 | at_least_once   the runtimes' processing.guarantee
 * chaos.faults     K1,K2,...           enabled fault kinds ({@link FaultPlan.Kind}); default all
 * chaos.expectViolations  true|false   rounds pass only if the verifier finds violations
 *                                       (to demonstrate a broken runtime is caught)
 * chaos.transactionVersion  1 | 2     the brokers' transaction.version feature (default: the
 *                                       broker's, 2 on Kafka 4.3)
 * chaos.runtimeSettings  k=v,k=v        extra --set settings of every runtime instance
 * chaos.keepLogs   true|false          keep the logs of passing rounds too
 * chaos.outputDir  DIR                 where logs and chaos-summary.json go (default target)
 * </pre>
 *
 * @param config the round shape
 * @param rounds how many rounds
 * @param baseSeed the first round's seed
 * @param expectViolations whether a round passes only when violations are found
 * @param keepLogs whether passing rounds keep their logs
 * @param outputDir where to write
 * @param transactionVersion the brokers' transaction.version, 0 for the broker default
 * @param runtimeSettings extra settings passed to every runtime with --set
 */
public record ChaosSettings(
    RoundConfig config,
    int rounds,
    long baseSeed,
    boolean expectViolations,
    boolean keepLogs,
    Path outputDir,
    short transactionVersion,
    java.util.Map<String, String> runtimeSettings) {

  public static ChaosSettings fromSystemProperties() {
    RoundConfig config = RoundConfig.named(prop("chaos.length", "short"));
    String brokers = prop("chaos.brokers", "");
    if (!brokers.isEmpty()) {
      config = config.withBrokers(Integer.parseInt(brokers));
    }
    String faults = prop("chaos.faults", "");
    if (!faults.isEmpty()) {
      Set<FaultPlan.Kind> kinds = EnumSet.noneOf(FaultPlan.Kind.class);
      for (String k : faults.split(",")) {
        kinds.add(FaultPlan.Kind.valueOf(k.trim().toUpperCase(java.util.Locale.ROOT)));
      }
      config = config.withFaultKinds(kinds);
    }
    config = config.withProcessingGuarantee(prop("chaos.guarantee", "exactly_once_v2"));
    String seed = prop("chaos.seed", "");
    long baseSeed =
        seed.isEmpty() ? Math.abs(System.nanoTime() % 1_000_000_000L) : Long.parseLong(seed);
    return new ChaosSettings(
        config,
        Integer.parseInt(prop("chaos.rounds", "1")),
        baseSeed,
        Boolean.parseBoolean(prop("chaos.expectViolations", "false")),
        Boolean.parseBoolean(prop("chaos.keepLogs", "false")),
        Path.of(prop("chaos.outputDir", "target")).toAbsolutePath(),
        Short.parseShort(prop("chaos.transactionVersion", "0")),
        keyValues(prop("chaos.runtimeSettings", "")));
  }

  /**
   * The command that replays the round with {@code seed}: every setting that shapes the round (the
   * profile's defaults are undone where they differ), so the same workload and fault plan run
   * again.
   */
  public String replayCommand(long seed) {
    RoundConfig shape = RoundConfig.named(config.name());
    StringBuilder cmd =
        new StringBuilder("mvn -Pchaos verify -pl chaos-tests -Dchaos.length=")
            .append(config.name())
            .append(" -Dchaos.seed=")
            .append(seed)
            .append(" -Dchaos.rounds=1");
    if (config.brokers() != shape.brokers()) {
      cmd.append(" -Dchaos.brokers=").append(config.brokers());
    }
    if (!config.faultKinds().equals(shape.faultKinds())) {
      cmd.append(" -Dchaos.faults=")
          .append(
              config.faultKinds().stream()
                  .map(Enum::name)
                  .sorted()
                  .collect(java.util.stream.Collectors.joining(",")));
    }
    if (!config.processingGuarantee().equals("exactly_once_v2")) {
      cmd.append(" -Dchaos.guarantee=").append(config.processingGuarantee());
    }
    // -Pchaos pins transaction.version 1; "0" asks for the broker's default.
    cmd.append(" -Dchaos.transactionVersion=").append(transactionVersion);
    if (!runtimeSettings.isEmpty()) {
      cmd.append(" -Dchaos.runtimeSettings=")
          .append(
              runtimeSettings.entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .sorted()
                  .collect(java.util.stream.Collectors.joining(",")));
    }
    return cmd.toString();
  }

  private static java.util.Map<String, String> keyValues(String list) {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String kv : list.split(",")) {
      if (kv.isBlank()) {
        continue;
      }
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "chaos.runtimeSettings: expected key=value, got '" + kv + "'");
      }
      out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return java.util.Map.copyOf(out);
  }

  private static String prop(String key, String defaultValue) {
    String v = System.getProperty(key);
    return v == null || v.isBlank() ? defaultValue : v.trim();
  }

  /** The seed of round {@code i} (0-based). */
  public long seedOf(int round) {
    return baseSeed + round;
  }
}
