package io.kstatefun.cli;

import io.kstatefun.examples.dev.DevCommand;
import io.kstatefun.localkafka.KafkaServerMain;
import io.kstatefun.runtime.cli.DeadLetterCommand;
import io.kstatefun.runtime.cli.KStatefunCli;
import io.kstatefun.runtime.cli.RunCommand;
import io.kstatefun.runtime.cli.StateCommand;
import io.kstatefun.runtime.cli.TopicCommand;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bin/kstatefun}: every command, each defined once with picocli where it lives (the dev demo
 * in examples, {@code kafka} in local-kafka, {@code run}/{@code topic}/{@code dlq}/{@code state} in
 * the runtime, {@code import-statefun} here: it runs the StateFun savepoint reader in a child JVM).
 * {@code --help}, {@code help COMMAND} and docs/cli.md ({@link CliReference}) come from these
 * definitions.
 *
 * <p>This class and the command classes hold no static logger: the dev demo chooses its logging
 * configuration before anything logs.
 */
@Command(
    name = "kstatefun",
    mixinStandardHelpOptions = true,
    versionProvider = KStatefunCli.ManifestVersion.class,
    description =
        "Stateful Functions on Kafka Streams. 'kstatefun help COMMAND' shows the options of a command.",
    subcommands = {
      DevCommand.class,
      RunCommand.class,
      KafkaServerMain.class,
      TopicCommand.class,
      DeadLetterCommand.class,
      StateCommand.class,
      ImportStatefunCommand.class,
      HelpCommand.class
    })
public final class Launcher implements Callable<Integer> {

  @Spec CommandSpec spec;

  /** Without a command: the usage, and exit code 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** The command line with every command, writing to {@code out} and {@code err}. */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    return KStatefunCli.configure(new CommandLine(new Launcher()), out, err);
  }

  public static void main(String[] args) {
    // Keep logging alive while a broker or runtime shuts down in its own shutdown hook.
    if (System.getProperty("log4j2.shutdownHookEnabled") == null) {
      System.setProperty("log4j2.shutdownHookEnabled", "false");
    }
    // Exit even when a command leaves non-daemon threads behind (a demo after --duration, a broker
    // whose parent process ended). After SIGTERM the JVM is already exiting and this returns never.
    System.exit(commandLine(System.out, System.err).execute(args));
  }
}
