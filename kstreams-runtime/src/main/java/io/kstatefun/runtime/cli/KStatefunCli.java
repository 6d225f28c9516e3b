package io.kstatefun.runtime.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The runtime's commands: {@code run}, {@code topic}, {@code dlq} and {@code state} (picocli).
 * {@code bin/kstatefun} runs the full launcher ({@code io.kstatefun.cli.Launcher}), which adds
 * {@code kafka} and {@code dev} to these same command classes; this class is the entry point when
 * only the runtime jar and its dependencies are on the class path (a deployment without the local
 * broker).
 */
@Command(
    name = "kstatefun",
    mixinStandardHelpOptions = true,
    versionProvider = KStatefunCli.ManifestVersion.class,
    description = "Stateful Functions on Kafka Streams.",
    subcommands = {
      RunCommand.class,
      TopicCommand.class,
      DeadLetterCommand.class,
      StateCommand.class,
      HelpCommand.class
    })
public final class KStatefunCli implements Callable<Integer> {

  @Spec CommandSpec spec;

  /** Without a command: the usage, and exit code 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs a command; returns the process exit code. {@code run} returns only after shutdown. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return configure(new CommandLine(new KStatefunCli()), out, err).execute(args);
  }

  /**
   * The settings every kstatefun command line shares: output to {@code out}/{@code err}, no
   * {@code @file} expansion, {@code --set a=b=c} keeps {@code b=c} as the value.
   */
  public static CommandLine configure(CommandLine cli, PrintStream out, PrintStream err) {
    return cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
        .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
        .setExpandAtFiles(false)
        .setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** The version from the jar's manifest ({@code Implementation-Version}). */
  public static final class ManifestVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = KStatefunCli.class.getPackage().getImplementationVersion();
      return new String[] {"kstatefun " + (version == null ? "(development build)" : version)};
    }
  }
}
