package io.kstatefun.cli;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The repository's Markdown (README.md, docs/, the modules' READMEs; not target/, node_modules/ or
 * hidden directories) as the docs tests read it: {@link CliDocsTest} and {@link
 * DocsConsistencyTest}.
 */
final class MarkdownDocs {

  /** The repository root: tests run in the cli module's directory. */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static final Pattern INLINE_CODE = Pattern.compile("`([^`]+)`");

  private MarkdownDocs() {}

  /** A line of a code block ({@code fenced}), or an inline code span, as written in a doc. */
  record Code(Path doc, int line, String text, boolean fenced) {
    /** {@code path/of/doc.md:line}, relative to the repository root. */
    String where() {
      return ROOT.relativize(doc) + ":" + line;
    }
  }

  /** Every Markdown file of the repository, sorted. */
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
    List<String> lines = readLines(doc);
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

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> readLines(Path file) {
    return read(file).lines().toList();
  }

  /** Fails listing every problem, if there are any. */
  static void assertNoProblems(String what, List<String> problems) {
    if (!problems.isEmpty()) {
      fail(problems.size() + " " + what + ":\n  " + String.join("\n  ", problems));
    }
  }
}
