package io.kstatefun.examples.dev;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kstatefun dev}: the command line of the demo ({@link DevMode}). */
@Command(
    name = "dev",
    sortOptions = false,
    sortSynopsis = false,
    description =
        "The demo: starts a local Kafka broker, the kstatefun runtime and the example functions in this "
            + "process, sends sample events and shows what comes out of the egress topics. Ctrl-C stops "
            + "everything and prints a summary.")
public final class DevCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--duration",
      paramLabel = "SECONDS",
      description = "Stop this long after start-up. Default: run until Ctrl-C.")
  Double durationSeconds;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "2",
      description = "Sample events per second. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--max-events",
      paramLabel = "N",
      defaultValue = "1000",
      description =
          "Stop sending sample events after N (results keep being shown). Default: ${DEFAULT-VALUE}.")
  int maxEvents;

  @Option(
      names = "--examples",
      paramLabel = "LIST",
      split = ",",
      defaultValue = "greeter,billing,cart",
      description = "Which examples to run, comma-separated. Default: ${DEFAULT-VALUE}.")
  List<String> examples = new ArrayList<>();

  @Option(
      names = "--kafka-port",
      paramLabel = "PORT",
      defaultValue = "-1",
      description =
          "The local broker's port. Default: 9092 if free, else any free port; 0: any free port.")
  int kafkaPort;

  /** Parses {@code args} as {@code dev} would, without running it. */
  static DevOptions parse(String... args) {
    DevCommand command = new DevCommand();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  /** The validated options. */
  DevOptions options() {
    try {
      Optional<Duration> duration =
          Optional.ofNullable(durationSeconds).map(s -> Duration.ofMillis(Math.round(s * 1000)));
      return new DevOptions(
          duration,
          rate,
          maxEvents,
          new ArrayList<>(new LinkedHashSet<>(examples.stream().map(String::trim).toList())),
          kafkaPort);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() {
    return DevMode.runUntilStopped(options());
  }
}
