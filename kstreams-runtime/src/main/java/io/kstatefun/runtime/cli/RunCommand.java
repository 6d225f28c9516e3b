package io.kstatefun.runtime.cli;

import io.kstatefun.routing.module.KafkaEgressSpec;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleConfigException;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.KStatefunRuntime;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun run}: one runtime instance for one or more StateFun {@code module.yaml} files,
 * until SIGTERM or Ctrl-C. Prints {@code kstatefun running: ...} once it is processing.
 */
@Command(
    name = "run",
    sortOptions = false,
    sortSynopsis = false,
    description =
        "Runs a runtime instance for StateFun module.yaml files until SIGTERM or Ctrl-C. "
            + "Prints 'kstatefun running: ...' once it processes records.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped cleanly",
      "1:the runtime could not start (bad setting, Kafka not reachable)",
      "2:bad command line or module file"
    })
public final class RunCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--module",
      paramLabel = "FILE",
      required = true,
      description = "A StateFun module.yaml (repeatable; the modules are merged).")
  List<Path> modules = new ArrayList<>();

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description = "Kafka. Default: the 'address' of the module's ingresses and egresses.")
  String bootstrapServers;

  @Option(
      names = "--application-id",
      paramLabel = "ID",
      defaultValue = "kstatefun",
      description =
          "The Kafka Streams application id: consumer group, prefix of internal topics. Default: ${DEFAULT-VALUE}.")
  String applicationId;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Where RocksDB state lives; keep it stable across restarts. Default: kstatefun-state/<application id>.")
  Path stateDir;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "A Kafka Streams, Kafka client or kstatefun.* property (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  /** Parses {@code args} as {@code run} would, without running it. */
  static RunCommand parse(String... args) {
    RunCommand command = new RunCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  /** The state directory: {@code --state-dir}, else {@code kstatefun-state/<application id>}. */
  Path stateDir() {
    return stateDir != null ? stateDir : Path.of("kstatefun-state", applicationId);
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<ModuleSpec> specs = new ArrayList<>();
    for (Path file : modules) {
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
    String bootstrap = bootstrapServers;
    if (bootstrap == null) {
      bootstrap = addressFromModule(module);
      if (bootstrap == null) {
        throw new ParameterException(
            spec.commandLine(),
            "no --bootstrap-servers given and the module's ingresses/egresses declare no 'address'");
      }
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir().toAbsolutePath().toString());
    props.putAll(settings);

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
              out.flush();
              runtime.close(Duration.ofSeconds(30));
              stopped.countDown();
            },
            "kstatefun-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (runtime.awaitRunning(Duration.ofMinutes(5))) {
        out.println(
            "kstatefun running: application "
                + applicationId
                + ", bootstrap "
                + bootstrap
                + ", "
                + runtime.partitions()
                + " partitions, state dir "
                + stateDir()
                + (runtime.adminPort() >= 0 ? ", admin port " + runtime.adminPort() : ""));
      } else {
        err.println(
            "kstatefun: runtime did not reach RUNNING (state " + runtime.streams().state() + ")");
      }
      out.flush();
      err.flush();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The single Kafka address the module's ingresses and egresses declare, or null. */
  String addressFromModule(ModuleSpec module) {
    Set<String> addresses = new LinkedHashSet<>();
    for (KafkaIngressSpec ingress : module.ingresses()) {
      ingress.address().ifPresent(addresses::add);
    }
    for (KafkaEgressSpec egress : module.egresses()) {
      egress.address().ifPresent(addresses::add);
    }
    if (addresses.size() > 1) {
      throw new ParameterException(
          spec.commandLine(),
          "the module declares several Kafka addresses "
              + addresses
              + "; kstatefun runs on one cluster: pass --bootstrap-servers");
    }
    return addresses.isEmpty() ? null : addresses.iterator().next();
  }
}
