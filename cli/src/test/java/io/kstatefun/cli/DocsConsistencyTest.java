package io.kstatefun.cli;

import static io.kstatefun.cli.MarkdownDocs.ROOT;
import static io.kstatefun.cli.MarkdownDocs.assertNoProblems;
import static io.kstatefun.cli.MarkdownDocs.code;
import static io.kstatefun.cli.MarkdownDocs.docs;
import static io.kstatefun.cli.MarkdownDocs.read;
import static io.kstatefun.cli.MarkdownDocs.readLines;
import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.cli.MarkdownDocs.Code;
import io.kstatefun.runtime.cli.DeadLetterCommand;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * The docs name only settings that exist. Reads every Markdown file of the repository (README.md,
 * docs/, the modules' READMEs; not target/ or node_modules/) and fails, naming the file, line and
 * text, when they mention
 *
 * <ul>
 *   <li>a {@code kstatefun.*} name that is neither a key of {@link KStatefunConfig#DEFINITION}, nor
 *       a dead-letter header ({@link DeadLetters}, {@link DeadLetterCommand#REINJECTED_FROM}), nor
 *       (as {@code -Dkstatefun.x}) a property of a pom.xml;
 *   <li>a {@code --set KEY=VALUE} of the runtime whose key is neither a {@code kstatefun.*} key nor
 *       a Kafka Streams, producer, consumer or admin client setting (optionally with a Streams
 *       client prefix such as {@code producer.}).
 * </ul>
 *
 * <p>Commands and their options are picocli definitions: {@link CliDocsTest} parses every
 * documented command line with them, and {@code CliReferenceTest} checks that docs/cli.md is their
 * usage help.
 */
class DocsConsistencyTest {

  private static final Pattern INVOCATION =
      Pattern.compile("^(?:bin/)?(kstatefun(?:-bench)?)\\s+([a-z][a-z-]*)(?=\\s|$)(.*)$");
  private static final Pattern OPTION_START = Pattern.compile("--[a-z]");
  private static final Pattern KSTATEFUN_NAME =
      Pattern.compile(
          "(?:(-D)|(?<![\\w.$/{-]))(kstatefun(?:\\.[A-Za-z0-9_-]+)+)((?:/[A-Za-z0-9_-]+)*)(\\.\\*)?");
  private static final List<String> CLIENT_PREFIXES =
      List.of(
          "main.consumer.",
          "restore.consumer.",
          "global.consumer.",
          "consumer.",
          "producer.",
          "admin.");

  @Test
  void shouldFindTheDocs() {
    assertThat(docs())
        .extracting(p -> ROOT.relativize(p).toString())
        .contains(
            "README.md",
            "docs/configuration.md",
            "docs/failure-handling.md",
            "examples/README.md",
            "sdk/README.md",
            "chaos-tests/README.md");
  }

  @Test
  void shouldOnlyMentionKstatefunNamesThatExist() {
    Set<String> keys = new TreeSet<>(KStatefunConfig.DEFINITION.names());
    Set<String> headers = deadLetterHeaders();
    Set<String> mavenProperties = mavenProperties();
    List<String> problems = new ArrayList<>();
    for (Path doc : docs()) {
      List<String> lines = readLines(doc);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = KSTATEFUN_NAME.matcher(lines.get(i));
        while (m.find()) {
          boolean systemProperty = m.group(1) != null;
          boolean wildcard = m.group(4) != null;
          for (String name : expandAlternatives(m.group(2), m.group(3))) {
            boolean known;
            if (systemProperty) {
              known = mavenProperties.contains(name);
            } else if (wildcard) {
              known =
                  Stream.concat(keys.stream(), headers.stream())
                      .anyMatch(k -> k.startsWith(name + "."));
            } else {
              known =
                  keys.contains(name)
                      || headers.contains(name)
                      // the reserved namespace of the HTTP API's caller addresses
                      || name.equals(io.kstatefun.routing.module.FunctionTarget.RESERVED_NAMESPACE);
            }
            if (!known) {
              problems.add(
                  ROOT.relativize(doc)
                      + ":"
                      + (i + 1)
                      + ": `"
                      + m.group()
                      + "`: "
                      + (systemProperty
                          ? "-D" + name + " is not a property of any pom.xml"
                          : name
                              + (wildcard ? ".*" : "")
                              + " is neither a KStatefunConfig key "
                              + keys
                              + " nor a dead-letter header "
                              + headers));
            }
          }
        }
      }
    }
    assertNoProblems("kstatefun.* names in the docs that the code does not define", problems);
  }

  @Test
  void shouldOnlySetPropertiesTheRuntimeKnows() {
    Set<String> known = new TreeSet<>(KStatefunConfig.DEFINITION.names());
    known.addAll(StreamsConfig.configDef().names());
    known.addAll(ProducerConfig.configNames());
    known.addAll(ConsumerConfig.configNames());
    known.addAll(AdminClientConfig.configNames());
    List<String> problems = new ArrayList<>();
    for (Setting s : settings()) {
      if (s.command() != null && s.command().equals("kstatefun kafka")) {
        continue; // broker properties
      }
      String key = s.key();
      if (key.matches("[A-Z_]+")) {
        continue; // a placeholder: KEY=VALUE
      }
      String unprefixed = key;
      for (String prefix : CLIENT_PREFIXES) {
        if (key.startsWith(prefix)) {
          unprefixed = key.substring(prefix.length());
          break;
        }
      }
      if (!known.contains(key) && !known.contains(unprefixed)) {
        problems.add(
            s.code().where()
                + ": `"
                + s.code().text()
                + "`: --set "
                + key
                + " is neither a kstatefun.* key nor a Kafka Streams or Kafka client setting");
      }
    }
    assertThat(settings())
        .extracting(Setting::key)
        .as("the scan finds documented --set keys")
        .contains("kstatefun.admin.port", "num.standby.replicas", "security.protocol");
    assertNoProblems("--set keys in the docs that nothing reads", problems);
  }

  // ---------------------------------------------------------------- what the docs say

  /** Arguments as a shell would pass them, without the brackets of optional parts. */
  private static List<String> arguments(String text) {
    String plain = text.replaceAll("[\\[\\]]", " ").replace("...", " ").trim();
    return plain.isEmpty() ? List.of() : Arrays.asList(plain.split("\\s+"));
  }

  record Setting(Code code, String command, String key) {}

  /** Every {@code --set KEY=VALUE} in the docs' code, with its command (null if none was named). */
  static List<Setting> settings() {
    List<Setting> out = new ArrayList<>();
    walkOptions(
        (code, command, args) -> {
          for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--set") && args.get(i + 1).indexOf('=') > 0) {
              out.add(
                  new Setting(
                      code, command, args.get(i + 1).substring(0, args.get(i + 1).indexOf('='))));
            }
          }
        });
    return out;
  }

  interface OptionVisitor {
    void visit(Code code, String command, List<String> args);
  }

  /** Visits command lines and inline {@code --flag ...} code with the command they belong to. */
  private static void walkOptions(OptionVisitor visitor) {
    for (Path doc : docs()) {
      String command = null;
      for (Code code : code(doc)) {
        Matcher m = INVOCATION.matcher(code.text());
        if (m.matches()) {
          command = m.group(1) + " " + m.group(2);
          visitor.visit(code, command, arguments(m.group(3)));
        } else if (!code.fenced() && OPTION_START.matcher(code.text()).lookingAt()) {
          visitor.visit(code, command, arguments(code.text()));
        }
      }
    }
  }

  // ---------------------------------------------------------------- what the code accepts

  private static Set<String> deadLetterHeaders() {
    Set<String> out = new TreeSet<>();
    for (Field f : DeadLetters.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          String v = (String) f.get(null);
          if (v.startsWith("kstatefun.") && !v.endsWith(".")) {
            out.add(v);
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    out.add(DeadLetterCommand.REINJECTED_FROM);
    return out;
  }

  /** The {@code <kstatefun.x>} properties of every pom.xml (what {@code -Dkstatefun.x} can set). */
  private static Set<String> mavenProperties() {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT, 2)) {
      for (Path pom : files.filter(p -> p.getFileName().toString().equals("pom.xml")).toList()) {
        out.addAll(matches(read(pom), "<(kstatefun\\.[A-Za-z0-9_.-]+)>"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  // ---------------------------------------------------------------- helpers

  /** {@code kstatefun.dlq.source.topic} + {@code /partition/offset} are three names. */
  private static List<String> expandAlternatives(String name, String alternatives) {
    List<String> out = new ArrayList<>(List.of(name));
    if (!alternatives.isEmpty()) {
      String stem = name.substring(0, name.lastIndexOf('.') + 1);
      for (String alt : alternatives.substring(1).split("/")) {
        out.add(stem + alt);
      }
    }
    return out;
  }

  private static Set<String> matches(String text, String regex) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
