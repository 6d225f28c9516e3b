package io.kstatefun.runtime.kafka;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one local Kafka node (KRaft, combined broker and controller, on 127.0.0.1) as the main
 * program of a JVM, until SIGTERM/Ctrl-C; this is what {@code kstatefun kafka} runs.
 *
 * <pre>
 * --dir DIR              log directory (required); formatted on first start, reused afterwards
 * --port N               client port, default 9092 (0 = pick a free one)
 * --controller-port N    KRaft controller port; default: from --voters, else remembered in DIR, else free
 * --node-id N            node.id, default 1
 * --voters SPEC          static quorum 1@127.0.0.1:P1,2@127.0.0.1:P2,... (multi-node; needs --cluster-id)
 * --cluster-id ID        cluster id used when formatting (default random); must match a formatted DIR
 * --set key=value        extra broker property (repeatable)
 * --startup-timeout S    seconds to wait for readiness, default 120
 * --parent-pid PID       shut down when that process exits (used for child brokers of tests)
 * --verbose              keep the broker's INFO logging
 * </pre>
 *
 * <p>Prints exactly one line {@code kafka ready at 127.0.0.1:PORT} to standard output once the
 * node is ready (single node: after a warm-up transaction has committed; quorum member: once
 * it is a live broker). A shutdown hook stops the broker cleanly on SIGTERM.
 */
public final class KafkaServerMain {

  /** Prefix of the line printed to standard output when the broker is ready. */
  public static final String READY_PREFIX = "kafka ready at ";

  static final String USAGE = String.join(System.lineSeparator(),
      "usage: kafka --dir DIR [--port N] [--controller-port N] [--node-id N]",
      "             [--voters 1@127.0.0.1:P1,2@127.0.0.1:P2,...] [--cluster-id ID]",
      "             [--set key=value]... [--startup-timeout SECONDS] [--parent-pid PID] [--verbose]");

  private KafkaServerMain() {}

  /** Entry point of a standalone broker JVM; exits with {@link #run(String[])}'s code. */
  public static void main(String[] args) {
    // Keep logging alive while the broker shuts down in our own shutdown hook.
    if (System.getProperty("log4j2.shutdownHookEnabled") == null && System.getProperty("log4j.shutdownHookEnabled") == null) {
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
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("kafka: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (options.help) {
      out.println(USAGE);
      return 0;
    }
    if (!options.verbose) {
      BrokerLogging.quietAll();
    }
    LocalKafkaBroker broker;
    try {
      broker = options.toBuilder().build();
    } catch (IllegalArgumentException e) {
      err.println("kafka: " + e.getMessage());
      return 2;
    }
    if (options.parentPid.isPresent()) {
      Optional<ProcessHandle> parent = ProcessHandle.of(options.parentPid.get());
      if (parent.isEmpty()) {
        err.println("kafka: parent process " + options.parentPid.get() + " is gone");
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

  /** Parsed command line. */
  static final class Options {
    int port = 9092;
    int controllerPort;
    int nodeId = 1;
    Path dir;
    String voters;
    String clusterId;
    final Map<String, String> properties = new LinkedHashMap<>();
    Duration startupTimeout = Duration.ofSeconds(120);
    Optional<Long> parentPid = Optional.empty();
    boolean verbose;
    boolean help;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        String value = null;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          value = arg.substring(eq + 1);
          arg = arg.substring(0, eq);
        }
        switch (arg) {
          case "-h", "--help" -> o.help = true;
          case "--verbose" -> o.verbose = true;
          case "--port" -> o.port = port(arg, value != null ? value : next(args, ++i, arg));
          case "--controller-port" -> o.controllerPort = port(arg, value != null ? value : next(args, ++i, arg));
          case "--node-id" -> o.nodeId = integer(arg, value != null ? value : next(args, ++i, arg));
          case "--dir" -> o.dir = Paths.get(value != null ? value : next(args, ++i, arg));
          case "--voters" -> o.voters = value != null ? value : next(args, ++i, arg);
          case "--cluster-id" -> o.clusterId = value != null ? value : next(args, ++i, arg);
          case "--startup-timeout" -> o.startupTimeout = Duration.ofSeconds(integer(arg, value != null ? value : next(args, ++i, arg)));
          case "--parent-pid" -> o.parentPid = Optional.of(pid(arg, value != null ? value : next(args, ++i, arg)));
          case "--set" -> {
            String kv = value != null ? value : next(args, ++i, arg);
            int sep = kv.indexOf('=');
            if (sep <= 0) {
              throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
            }
            o.properties.put(kv.substring(0, sep).trim(), kv.substring(sep + 1).trim());
          }
          default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
        }
      }
      if (!o.help && o.dir == null) {
        throw new IllegalArgumentException("--dir is required");
      }
      if (o.startupTimeout.isZero() || o.startupTimeout.isNegative()) {
        throw new IllegalArgumentException("--startup-timeout must be positive");
      }
      return o;
    }

    LocalKafkaBroker.Builder toBuilder() {
      LocalKafkaBroker.Builder b = LocalKafkaBroker.builder()
          .port(port)
          .controllerPort(controllerPort)
          .nodeId(nodeId)
          .logDir(dir)
          .brokerProperties(properties)
          .startupTimeout(startupTimeout)
          .quietLogging(!verbose);
      if (voters != null) {
        b.quorumVoters(voters);
      }
      if (clusterId != null) {
        b.clusterId(clusterId);
      }
      return b;
    }

    private static String next(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static int integer(String option, String value) {
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " expects a number, got '" + value + "'");
      }
    }

    private static long pid(String option, String value) {
      try {
        return Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " expects a process id, got '" + value + "'");
      }
    }

    private static int port(String option, String value) {
      int p = integer(option, value);
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException(option + " out of range: " + p);
      }
      return p;
    }
  }
}
