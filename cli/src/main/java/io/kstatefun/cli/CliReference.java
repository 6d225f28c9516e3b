package io.kstatefun.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/**
 * docs/cli.md: the usage help of {@code bin/kstatefun} and of each of its commands, as picocli
 * prints it for {@code kstatefun help COMMAND}. {@code CliReferenceTest} fails when the file in the
 * repository differs; {@code main} writes it.
 */
public final class CliReference {

  private CliReference() {}

  /** Writes the reference to the file named by {@code args[0]} (default docs/cli.md). */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args.length > 0 ? args[0] : "docs/cli.md");
    Files.writeString(file, markdown(), StandardCharsets.UTF_8);
    System.out.println("wrote " + file);
  }

  /** The reference as Markdown. */
  public static String markdown() {
    CommandLine launcher = Launcher.commandLine(sink(), sink());
    StringBuilder md = new StringBuilder();
    md.append("# Command reference\n\n")
        .append(
            "<!-- Generated from the picocli definitions of the commands by io.kstatefun.cli.CliReference;\n")
        .append(
            "     CliReferenceTest fails when this file differs from them. Do not edit by hand. -->\n\n")
        .append(
            "`bin/kstatefun COMMAND --help` prints the same text. In the source tree `bin/kstatefun` builds the\n")
        .append("project with Maven on first use; in a release (`kstatefun-VERSION.tar.gz`, see\n")
        .append("[deploying.md](deploying.md)) it needs only a JDK 17+.\n\n");
    section(md, "kstatefun", launcher);
    for (CommandLine command : launcher.getSubcommands().values()) {
      if (command.getCommandName().equals("help")) {
        continue;
      }
      section(md, "kstatefun " + command.getCommandName(), command);
      for (CommandLine sub : command.getSubcommands().values()) {
        section(md, "kstatefun " + command.getCommandName() + " " + sub.getCommandName(), sub);
      }
    }
    return md.toString();
  }

  private static void section(StringBuilder md, String title, CommandLine command) {
    md.append("## `")
        .append(title)
        .append("`\n\n```\n")
        .append(command.getUsageMessage(Ansi.OFF).stripTrailing())
        .append("\n```\n\n");
  }

  private static PrintStream sink() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}
