package io.kstatefun.cli;

import static io.kstatefun.cli.MarkdownDocs.assertNoProblems;
import static io.kstatefun.cli.MarkdownDocs.code;
import static io.kstatefun.cli.MarkdownDocs.docs;
import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.cli.MarkdownDocs.Code;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.ParameterException;

/**
 * Every {@code bin/kstatefun ...} command line in the repository's Markdown (README.md, docs/, the
 * modules' READMEs) is parsed by the launcher's picocli definitions, and every {@code --flag} named
 * in inline code after such a command is one of its options. Only a missing required option or
 * parameter is tolerated: the docs also show fragments such as {@code bin/kstatefun run --set
 * KEY=VALUE}.
 */
class CliDocsTest {

  private static final Pattern INVOCATION =
      Pattern.compile("^(?:bin/)?kstatefun\\s+([a-z][a-z-]*)(?=\\s|$)(.*)$");
  private static final Pattern OTHER_LAUNCHER = Pattern.compile("^(?:bin/)?kstatefun-[a-z]+\\s.*$");
  private static final Pattern FLAG = Pattern.compile("^(--[a-z][a-z0-9-]*)");

  @Test
  void shouldParseEveryDocumentedCommandLine() {
    List<String> problems = new ArrayList<>();
    List<String> parsed = new ArrayList<>();
    for (Path doc : docs()) {
      for (Code code : code(doc)) {
        Matcher m = INVOCATION.matcher(code.text());
        if (!m.matches()) {
          continue;
        }
        List<String> args = new ArrayList<>();
        args.add(m.group(1));
        args.addAll(arguments(m.group(2)));
        try {
          launcher().parseArgs(args.toArray(String[]::new));
          parsed.add(m.group(1));
        } catch (MissingParameterException e) {
          parsed.add(m.group(1)); // a fragment
        } catch (ParameterException e) {
          problems.add(code.where() + ": `" + code.text() + "`: " + e.getMessage());
        }
      }
    }
    assertThat(parsed).as("documented commands").contains("dev", "run", "kafka", "topic", "dlq");
    assertNoProblems("documented command lines that bin/kstatefun rejects", problems);
  }

  @Test
  void shouldOnlyNameOptionsOfTheCommandNamedBefore() {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Path doc : docs()) {
      CommandLine command = null;
      String commandName = null;
      for (Code code : code(doc)) {
        Matcher m = INVOCATION.matcher(code.text());
        if (m.matches()) {
          CommandLine found = launcher().getSubcommands().get(m.group(1));
          List<String> args = arguments(m.group(2));
          if (found != null && !args.isEmpty() && found.getSubcommands().containsKey(args.get(0))) {
            found = found.getSubcommands().get(args.get(0));
          }
          command = found;
          commandName = found == null ? null : found.getCommandSpec().qualifiedName();
          continue;
        }
        if (OTHER_LAUNCHER.matcher(code.text()).matches()) {
          command = null; // e.g. bin/kstatefun-bench: BenchTest checks its lines
          continue;
        }
        Matcher flag = FLAG.matcher(code.text());
        if (code.fenced() || command == null || !flag.find()) {
          continue;
        }
        checked++;
        if (command.getCommandSpec().findOption(flag.group(1)) == null) {
          problems.add(
              code.where()
                  + ": `"
                  + code.text()
                  + "`: "
                  + flag.group(1)
                  + " is not an option of "
                  + commandName
                  + " (see docs/cli.md)");
        }
      }
    }
    assertThat(checked).as("options named in prose after a command").isGreaterThan(5);
    assertNoProblems("options in the docs that the command before them does not have", problems);
  }

  private static CommandLine launcher() {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return Launcher.commandLine(sink, sink);
  }

  /** Arguments as a shell would pass them, without quotes and the brackets of optional parts. */
  private static List<String> arguments(String text) {
    String plain = text.replaceAll("[\\[\\]\"']", " ").replace("...", " ").trim();
    return plain.isEmpty() ? List.of() : Arrays.asList(plain.split("\\s+"));
  }
}
