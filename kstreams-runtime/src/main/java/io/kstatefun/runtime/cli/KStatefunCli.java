package io.kstatefun.runtime.cli;

import io.kstatefun.routing.module.KafkaEgressSpec;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleConfigException;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.kafka.KafkaServerMain;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The {@code bin/kstatefun} command line.
 *
 * <pre>
 * kstatefun run --module FILE [--module FILE ...] [--bootstrap-servers HOST:PORT]
 *               [--application-id ID] [--state-dir DIR] [--set KEY=VALUE ...]
 * kstatefun kafka --port N --dir DIR [...]      a standalone single-node Kafka broker
 * kstatefun dlq --bootstrap-servers HOST:PORT --topic T [...]  inspect / re-inject dead letters
 * </pre>
 */
public final class KStatefunCli {

  static final String USAGE =
      String.join(
          "\n",
          "Usage:",
          "  kstatefun run --module FILE [--module FILE ...] [--bootstrap-servers HOST:PORT]",
          "                [--application-id ID] [--state-dir DIR] [--set KEY=VALUE ...]",
          "      Runs a runtime instance for a StateFun module.yaml. Without --bootstrap-servers the",
          "      module's ingress/egress 'address' is used. --set passes Kafka Streams, Kafka client",
          "      and kstatefun.* properties. Stops cleanly on SIGTERM or Ctrl-C.",
          "  kstatefun kafka --port N --dir DIR [--controller-port N] [--set KEY=VALUE ...]",
          "      Runs a single-node KRaft Kafka broker on 127.0.0.1 (formats DIR on first start).",
          "  kstatefun topic create NAME [NAME ...] [--partitions N] [--bootstrap-servers HOST:PORT]",
          "      Creates topics (e.g. ingress and egress topics); existing ones are left as they are.",
          DeadLetterTool.USAGE,
          "  kstatefun help");

  private KStatefunCli() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs a command; returns the process exit code. {@code run} returns only after shutdown. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
      out.println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String command = args[0];
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (command) {
        case "run":
          return runRuntime(rest, out, err);
        case "kafka":
          return KafkaServerMain.run(rest);
        case "topic":
          return TopicCommand.run(rest, out, err);
        case "dlq":
          return DeadLetterTool.run(rest, out, err);
        default:
          err.println("Unknown command '" + command + "'.\n" + USAGE);
          return 2;
      }
    } catch (UsageException e) {
      err.println("kstatefun " + command + ": " + e.getMessage() + "\n" + USAGE);
      return 2;
    }
  }

  /** Options of {@code kstatefun run}. */
  record RunOptions(
      List<Path> modules,
      String bootstrapServers,
      String applicationId,
      Path stateDir,
      Map<String, String> settings) {}

  static RunOptions parseRun(String[] args) {
    List<Path> modules = new ArrayList<>();
    String bootstrap = null;
    String applicationId = "kstatefun";
    Path stateDir = null;
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--module" -> modules.add(Path.of(value(args, ++i, arg)));
        case "--bootstrap-servers" -> bootstrap = value(args, ++i, arg);
        case "--application-id" -> applicationId = value(args, ++i, arg);
        case "--state-dir" -> stateDir = Path.of(value(args, ++i, arg));
        case "--set" -> {
          String kv = value(args, ++i, arg);
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new UsageException("--set expects KEY=VALUE, got '" + kv + "'");
          }
          settings.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        default -> throw new UsageException("unknown option '" + arg + "'");
      }
    }
    if (modules.isEmpty()) {
      throw new UsageException("--module FILE is required");
    }
    if (stateDir == null) {
      stateDir = Path.of("kstatefun-state", applicationId);
    }
    return new RunOptions(modules, bootstrap, applicationId, stateDir, settings);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new UsageException(option + " needs a value");
    }
    return args[i];
  }

  private static int runRuntime(String[] args, PrintStream out, PrintStream err) {
    RunOptions options = parseRun(args);
    List<ModuleSpec> specs = new ArrayList<>();
    for (Path file : options.modules()) {
      if (!Files.isRegularFile(file)) {
        err.println("kstatefun run: module file " + file + " does not exist");
        return 2;
      }
      try {
        specs.add(ModuleParser.parse(file));
      } catch (ModuleConfigException e) {
        err.println("kstatefun run: invalid module: " + e.getMessage());
        return 2;
      }
    }
    ModuleSpec module = ModuleSpec.merge(specs);
    String bootstrap = options.bootstrapServers();
    if (bootstrap == null) {
      bootstrap = addressFromModule(module);
      if (bootstrap == null) {
        err.println(
            "kstatefun run: no --bootstrap-servers given and the module's ingresses/egresses declare no 'address'");
        return 2;
      }
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, options.applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir().toAbsolutePath().toString());
    props.putAll(options.settings());

    KStatefunRuntime runtime;
    try {
      runtime = KStatefunRuntime.start(module, props);
    } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
      err.println("kstatefun run: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              out.println("kstatefun: shutting down");
              runtime.close(Duration.ofSeconds(30));
              stopped.countDown();
            },
            "kstatefun-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (runtime.awaitRunning(Duration.ofMinutes(5))) {
        out.println(
            "kstatefun running: application " + options.applicationId() + ", bootstrap " + bootstrap
                + ", " + runtime.partitions() + " partitions, state dir " + options.stateDir()
                + (runtime.adminPort() >= 0 ? ", admin port " + runtime.adminPort() : ""));
      } else {
        err.println("kstatefun: runtime did not reach RUNNING (state " + runtime.streams().state() + ")");
      }
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The single Kafka address the module's ingresses and egresses declare, or null. */
  static String addressFromModule(ModuleSpec module) {
    Set<String> addresses = new LinkedHashSet<>();
    for (KafkaIngressSpec ingress : module.ingresses()) {
      ingress.address().ifPresent(addresses::add);
    }
    for (KafkaEgressSpec egress : module.egresses()) {
      egress.address().ifPresent(addresses::add);
    }
    if (addresses.size() > 1) {
      throw new UsageException(
          "the module declares several Kafka addresses " + addresses
              + "; kstatefun runs on one cluster: pass --bootstrap-servers");
    }
    return addresses.isEmpty() ? null : addresses.iterator().next();
  }

  /** A command-line mistake: printed with the usage. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
