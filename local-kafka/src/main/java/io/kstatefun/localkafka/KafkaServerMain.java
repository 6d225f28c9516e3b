package io.kstatefun.localkafka;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun kafka}: runs one local Kafka node (KRaft, combined broker and controller, on
 * 127.0.0.1) as the main program of a JVM, until SIGTERM/Ctrl-C. Options: see {@code --help} or
 * docs/cli.md.
 *
 * <p>Prints exactly one line {@code kafka ready at 127.0.0.1:PORT} to standard output once the node
 * is ready (single node: after a warm-up transaction has committed; quorum member: once it is a
 * live broker). A shutdown hook stops the broker cleanly on SIGTERM.
 */
@Command(
    name = "kafka",
    sortOptions = false,
    sortSynopsis = false,
    description =
        "Runs a KRaft Kafka node (combined broker and controller) on 127.0.0.1 until SIGTERM or Ctrl-C. "
            + "Formats DIR on first start and reuses it afterwards. Prints 'kafka ready at 127.0.0.1:PORT' once "
            + "it is ready (a single node: once a first transaction has committed).",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:stopped cleanly", "1:the broker could not start", "2:bad command line"})
public final class KafkaServerMain implements Callable<Integer> {

  /** Prefix of the line printed to standard output when the broker is ready. */
  public static final String READY_PREFIX = "kafka ready at ";

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      required = true,
      description = "Log directory; formatted on first start, reused afterwards.")
  Path dir;

  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "9092",
      description = "Client port (0: a free one). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--controller-port",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "KRaft controller port. Default: from --voters, else the one remembered in DIR, else a free one.")
  int controllerPort;

  @Option(
      names = "--node-id",
      paramLabel = "N",
      defaultValue = "1",
      description = "node.id. Default: ${DEFAULT-VALUE}.")
  int nodeId;

  @Option(
      names = "--voters",
      paramLabel = "VOTERS",
      description =
          "Static quorum of a multi-node cluster, 1@127.0.0.1:P1,2@127.0.0.1:P2,... (needs --cluster-id).")
  String voters;

  @Option(
      names = "--cluster-id",
      paramLabel = "ID",
      description =
          "Cluster id used when formatting (default: random); must match a formatted DIR.")
  String clusterId;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "An extra broker property (repeatable).")
  Map<String, String> properties = new LinkedHashMap<>();

  @Option(
      names = "--startup-timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description = "How long to wait for the broker to be ready. Default: ${DEFAULT-VALUE}.")
  int startupTimeoutSeconds;

  @Option(
      names = "--parent-pid",
      paramLabel = "PID",
      description = "Shut down when that process exits (child brokers of tests and benchmarks).")
  Long parentPid;

  @Option(names = "--verbose", description = "Keep the broker's INFO logging.")
  boolean verbose;

  /** Entry point of a standalone broker JVM; exits with {@link #run(String[])}'s code. */
  public static void main(String[] args) {
    // Keep logging alive while the broker shuts down in our own shutdown hook.
    if (System.getProperty("log4j2.shutdownHookEnabled") == null
        && System.getProperty("log4j.shutdownHookEnabled") == null) {
      System.setProperty("log4j2.shutdownHookEnabled", "false");
    }
    System.exit(run(args));
  }

  /**
   * Runs the broker until it is shut down (SIGTERM, Ctrl-C, or the parent process exiting).
   *
   * @return 0 after a clean shutdown, 1 if the broker could not start, 2 for bad arguments
   */
  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return new CommandLine(new KafkaServerMain())
        .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
        .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
        .setExpandAtFiles(false)
        .execute(args);
  }

  /** Parses {@code args} as {@code kafka} would, without running it. */
  static KafkaServerMain parse(String... args) {
    KafkaServerMain command = new KafkaServerMain();
    new CommandLine(command).parseArgs(args);
    command.validate();
    return command;
  }

  private void validate() {
    for (Map.Entry<String, Integer> port :
        Map.of("--port", this.port, "--controller-port", controllerPort).entrySet()) {
      if (port.getValue() < 0 || port.getValue() > 65535) {
        throw new ParameterException(
            spec.commandLine(), port.getKey() + " out of range: " + port.getValue());
      }
    }
    if (startupTimeoutSeconds <= 0) {
      throw new ParameterException(spec.commandLine(), "--startup-timeout must be positive");
    }
  }

  @Override
  public Integer call() {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!verbose) {
      BrokerLogging.quietAll();
    }
    LocalKafkaBroker broker;
    try {
      broker = toBuilder().build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    if (parentPid != null) {
      Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
      if (parent.isEmpty()) {
        err.println("kafka: parent process " + parentPid + " is gone");
        return 1;
      }
      parent.get().onExit().thenRun(broker::close);
    }
    Thread hook = new Thread(broker::close, "kstatefun-kafka-shutdown-hook");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      broker.start();
    } catch (RuntimeException e) {
      err.println("kafka: " + e.getMessage());
      err.flush();
      removeHook(hook);
      return 1;
    }
    out.println(READY_PREFIX + broker.bootstrapServers());
    out.flush();
    try {
      broker.awaitClosed();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      broker.close();
    }
    removeHook(hook);
    return 0;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
  }

  LocalKafkaBroker.Builder toBuilder() {
    Map<String, String> trimmed = new LinkedHashMap<>();
    properties.forEach((k, v) -> trimmed.put(k.trim(), v.trim()));
    LocalKafkaBroker.Builder b =
        LocalKafkaBroker.builder()
            .port(port)
            .controllerPort(controllerPort)
            .nodeId(nodeId)
            .logDir(dir)
            .brokerProperties(trimmed)
            .startupTimeout(Duration.ofSeconds(startupTimeoutSeconds))
            .quietLogging(!verbose);
    if (voters != null) {
      b.quorumVoters(voters);
    }
    if (clusterId != null) {
      b.clusterId(clusterId);
    }
    return b;
  }
}
