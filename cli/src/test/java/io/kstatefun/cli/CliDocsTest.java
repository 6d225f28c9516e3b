package io.kstatefun.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
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

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern INVOCATION =
      Pattern.compile("^(?:bin/)?kstatefun\\s+([a-z][a-z-]*)(?=\\s|$)(.*)$");
  private static final Pattern OTHER_LAUNCHER = Pattern.compile("^(?:bin/)?kstatefun-[a-z]+\\s.*$");
  private static final Pattern INLINE_CODE = Pattern.compile("`([^`]+)`");
  private static final Pattern FLAG = Pattern.compile("^(--[a-z][a-z0-9-]*)");

  /** A line of a code block, or an inline code span, as written in a doc. */
  record Code(Path doc, int line, String text, boolean fenced) {
    String where() {
      return ROOT.relativize(doc) + ":" + line + ": `" + text + "`";
    }
  }

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
          problems.add(code.where() + ": " + e.getMessage());
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
                  + ": "
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

  static List<Path> docs() {
    List<Path> out = new ArrayList<>();
    try {
      Files.walkFileTree(
          ROOT,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              String name = dir.equals(ROOT) ? "" : dir.getFileName().toString();
              return name.equals("target") || name.equals("node_modules") || name.startsWith(".")
                  ? FileVisitResult.SKIP_SUBTREE
                  : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (file.getFileName().toString().endsWith(".md")) {
                out.add(file);
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(null);
    return out;
  }

  /**
   * The code of a doc, in order: every line of a fenced code block (continuation lines ending in
   * {@code \} joined, {@code # comments} removed) and every inline code span elsewhere.
   */
  static List<Code> code(Path doc) {
    List<String> lines;
    try {
      lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Code> out = new ArrayList<>();
    boolean fenced = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.trim().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (fenced) {
        int first = i;
        StringBuilder joined = new StringBuilder();
        while (line.endsWith("\\") && i + 1 < lines.size()) {
          joined.append(line, 0, line.length() - 1).append(' ');
          line = lines.get(++i);
        }
        joined.append(line);
        String text = joined.toString().replaceAll("\\s+#.*$", "").trim();
        if (!text.isEmpty()) {
          out.add(new Code(doc, first + 1, text, true));
        }
      } else {
        Matcher m = INLINE_CODE.matcher(line);
        while (m.find()) {
          out.add(new Code(doc, i + 1, m.group(1).trim(), false));
        }
      }
    }
    return out;
  }

  private static void assertNoProblems(String what, List<String> problems) {
    if (!problems.isEmpty()) {
      fail(problems.size() + " " + what + ":\n  " + String.join("\n  ", problems));
    }
  }
}
