package io.kstatefun.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.topology.DeadLetters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The docs match the code. Reads every Markdown file of the repository (README.md, docs/, the
 * modules' READMEs; not target/ or node_modules/) and fails, naming the file, line and text, when
 * they mention
 *
 * <ul>
 *   <li>a {@code kstatefun.*} name that is neither a key of {@link KStatefunConfig#DEFINITION}, nor
 *       a dead-letter header ({@link DeadLetters}, {@link DeadLetterTool#REINJECTED_FROM}), nor (as
 *       {@code -Dkstatefun.x}) a property of a pom.xml;
 *   <li>a {@code --set KEY=VALUE} of the runtime whose key is neither a {@code kstatefun.*} key nor
 *       a Kafka Streams, producer, consumer or admin client setting (optionally with a Streams
 *       client prefix such as {@code producer.});
 *   <li>a {@code bin/kstatefun <command>} or {@code bin/kstatefun-bench <command>} that the
 *       launchers do not accept: {@code bin/kstatefun} handles the {@code case} arms of its script
 *       ({@code dev}) and passes the rest to {@link KStatefunCli}; {@code bin/kstatefun-bench}
 *       passes everything to {@code Bench};
 *   <li>a {@code --flag} that the command's parser does not know. The options a parser knows are
 *       the {@code "--..."} string literals of its source file ({@link #OPTION_SOURCES}). Flags on
 *       a command line are checked against that command; a flag in inline code in prose or a table
 *       (e.g. {@code `--state-dir`}) against the last command named before it in the same file.
 * </ul>
 *
 * <p>Besides, every documented {@code bin/kstatefun run} and {@code bin/kstatefun dlq} line is
 * given to the real parser ({@link KStatefunCli#parseRun}, {@link DeadLetterTool#parse}); only a
 * missing required option is tolerated, since the docs also show fragments.
 *
 * <p>Documented command, or setting, and the test that runs it:
 *
 * <pre>
 * bin/kstatefun dev (defaults, --duration --rate --max-events     the dev demo itself; DevModeIT runs it in-process
 *   --examples --kafka-port)                                      with every option; DevOptionsTest parses them
 * bin/kstatefun run --module --application-id --state-dir         ExactlyOnceIT, TimersIT, ScaleOutIT (RuntimeProcess:
 *                                                                 KStatefunCli run in a child JVM); KStatefunCliTest
 * bin/kstatefun run, Kafka address taken from the module          ExactlyOnceIT, TimersIT (no --bootstrap-servers)
 * bin/kstatefun run --bootstrap-servers                           ChaosIT (ChaosRound starts its runtimes with it)
 * bin/kstatefun run --set kstatefun.admin.port=N                  ScaleOutIT (reads /metrics and /status)
 * bin/kstatefun run --set num.standby.replicas=1                  ScaleOutIT (always sets it; 1 with -Dkstatefun.standbys=1)
 * bin/kstatefun run --set security.protocol=SSL                   KStatefunCliTest (into the runtime's properties),
 *                                                                 RuntimeSettingsTest (Streams, admin client, doorbell)
 * bin/kstatefun run --set replication.factor=N                    ChaosIT (ChaosRound: 1 in short rounds, 3 in full)
 *   --set kstatefun.replication.factor=N
 * bin/kstatefun kafka --port --dir                                KafkaServerMainIT (child JVM), KafkaServerMainTest
 * bin/kstatefun topic create NAME... --partitions                 TopicCommandIT
 * bin/kstatefun dlq --bootstrap-servers --topic                   BadInputIT (lists dead letters)
 * bin/kstatefun dlq ... --reason --reinject --loopback-topic      FailingFunctionIT (re-injects after a fix)
 * bin/kstatefun dlq ... --from-offset --limit                     KStatefunCliTest, this test (the documented lines parse)
 * bin/kstatefun help                                              KStatefunCliTest
 * bin/kstatefun-bench help                                        BenchTest
 * bin/kstatefun-bench suite --runs, run --workload --rate         by hand only (a benchmark starts brokers and JVMs);
 *   --duration --set                                              option names: this test; arguments: BenchTest
 * kstatefun.* keys                                                ConfigDocsTest (defined and documented);
 *   max.batch.size max.pending.timers max.in.flight.per.task      RuntimeSettingsTest (each reaches what it sets)
 *   max.mailbox.size commit.on.output commit.min.interval.ms
 *   loopback.topic doorbell.topic dead.letter.topic doorbell.enabled
 *   admin.port / partitions / replication.factor                  ScaleOutIT / BadInputIT, the examples' ITs / ChaosIT
 *   timer.check.interval.ms retry.initial.backoff.ms               defaults only (HttpFunctionClientTest tests backoff)
 *   retry.max.backoff.ms
 * kstatefun.dlq.* headers, kstatefun.reinjected.from              BadInputIT, FailingFunctionIT, DeadLetterToolTest
 * module.yaml keys                                                ModuleParserTest, ModuleParserErrorsTest,
 *                                                                 DocumentedModuleTest (the README's module parses)
 * mvn verify                                                      .ci/run
 * mvn verify -pl examples -am [-Dkstatefun.examples.skipJs=true]  the examples' ITs (GreeterIT ... JsGreeterIT)
 * mvn -Pchaos verify -pl chaos-tests ...                          ChaosIT
 * npm ci; node server.js PORT (examples/js-greeter)               JsGreeterIT
 * </pre>
 */
class DocsConsistencyTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static final String BENCH = "benchmarks/src/main/java/io/kstatefun/benchmarks/";

  /** Per command: the source files whose {@code "--..."} literals are the options it parses. */
  private static final Map<String, List<String>> OPTION_SOURCES =
      Map.of(
          "kstatefun dev", List.of("examples/src/main/java/io/kstatefun/examples/dev/DevOptions.java"),
          "kstatefun run", List.of("kstreams-runtime/src/main/java/io/kstatefun/runtime/cli/KStatefunCli.java"),
          "kstatefun kafka", List.of("kstreams-runtime/src/main/java/io/kstatefun/runtime/kafka/KafkaServerMain.java"),
          "kstatefun topic", List.of("kstreams-runtime/src/main/java/io/kstatefun/runtime/cli/TopicCommand.java"),
          "kstatefun dlq", List.of("kstreams-runtime/src/main/java/io/kstatefun/runtime/cli/DeadLetterTool.java"),
          "kstatefun help", List.of(),
          "kstatefun-bench suite", List.of(BENCH + "Bench.java", BENCH + "Args.java"),
          "kstatefun-bench run", List.of(BENCH + "Bench.java", BENCH + "Args.java"),
          "kstatefun-bench jfr-top", List.of(BENCH + "JfrTop.java", BENCH + "Args.java"),
          "kstatefun-bench help", List.of());

  /** A line of a code block ({@code fenced}), or an inline code span, as written in a doc. */
  record Code(Path doc, int line, String text, boolean fenced) {
    String where() {
      return ROOT.relativize(doc) + ":" + line;
    }
  }

  /** A {@code kstatefun} command with its arguments, as found in a doc. */
  record Invocation(Code code, String command, List<String> args) {}

  private static final Pattern INVOCATION =
      Pattern.compile("^(?:bin/)?(kstatefun(?:-bench)?)\\s+([a-z][a-z-]*)(?=\\s|$)(.*)$");
  private static final Pattern OPTION_START = Pattern.compile("--[a-z]");
  private static final Pattern INLINE_CODE = Pattern.compile("`([^`]+)`");
  private static final Pattern OPTION_LITERAL = Pattern.compile("\"(--[a-z][a-z0-9-]*)\"");
  private static final Pattern KSTATEFUN_NAME =
      Pattern.compile("(?:(-D)|(?<![\\w.$/{-]))(kstatefun(?:\\.[A-Za-z0-9_-]+)+)((?:/[A-Za-z0-9_-]+)*)(\\.\\*)?");
  private static final List<String> CLIENT_PREFIXES =
      List.of("main.consumer.", "restore.consumer.", "global.consumer.", "consumer.", "producer.", "admin.");

  @Test
  void shouldFindTheDocs() {
    assertThat(docs())
        .extracting(p -> ROOT.relativize(p).toString())
        .contains("README.md", "docs/configuration.md", "docs/failure-handling.md", "examples/README.md",
            "sdk/README.md", "chaos-tests/README.md");
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
              known = Stream.concat(keys.stream(), headers.stream()).anyMatch(k -> k.startsWith(name + "."));
            } else {
              known = keys.contains(name) || headers.contains(name);
            }
            if (!known) {
              problems.add(ROOT.relativize(doc) + ":" + (i + 1) + ": `" + m.group() + "`: "
                  + (systemProperty
                      ? "-D" + name + " is not a property of any pom.xml"
                      : name + (wildcard ? ".*" : "") + " is neither a KStatefunConfig key " + keys
                          + " nor a dead-letter header " + headers));
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
        problems.add(s.code().where() + ": `" + s.code().text() + "`: --set " + key
            + " is neither a kstatefun.* key nor a Kafka Streams or Kafka client setting");
      }
    }
    assertThat(settings())
        .extracting(Setting::key)
        .as("the scan finds documented --set keys")
        .contains("kstatefun.admin.port", "num.standby.replicas", "security.protocol");
    assertNoProblems("--set keys in the docs that nothing reads", problems);
  }

  @Test
  void shouldOnlyUseCommandsTheLaunchersAccept() {
    Map<String, Set<String>> accepted = acceptedCommands();
    List<String> problems = new ArrayList<>();
    for (Invocation inv : invocations()) {
      String launcher = inv.command().substring(0, inv.command().indexOf(' '));
      String command = inv.command().substring(launcher.length() + 1);
      if (!accepted.get(launcher).contains(command)) {
        problems.add(inv.code().where() + ": `" + inv.code().text() + "`: bin/" + launcher + " has no command '"
            + command + "'; it accepts " + accepted.get(launcher));
      }
    }
    assertThat(invocations())
        .extracting(Invocation::command)
        .as("the scan finds the documented commands")
        .contains("kstatefun dev", "kstatefun run", "kstatefun kafka", "kstatefun topic", "kstatefun dlq",
            "kstatefun-bench suite", "kstatefun-bench run");
    assertNoProblems("commands in the docs that bin/kstatefun or bin/kstatefun-bench do not accept", problems);
  }

  @Test
  void shouldOnlyUseOptionsTheCommandsParse() {
    Map<String, Set<String>> options = new LinkedHashMap<>();
    OPTION_SOURCES.forEach((command, sources) -> options.put(command, optionLiterals(sources)));
    List<String> problems = new ArrayList<>();
    for (Flag f : flags()) {
      Set<String> known = options.get(f.command());
      if (known == null) {
        problems.add(f.code().where() + ": `" + f.code().text() + "`: no parser is known for '" + f.command()
            + "'; add its source file to DocsConsistencyTest.OPTION_SOURCES");
      } else if (!known.contains(f.flag())) {
        problems.add(f.code().where() + ": `" + f.code().text() + "`: " + f.flag() + " is not an option of "
            + f.command() + "; its parser (" + String.join(", ", OPTION_SOURCES.get(f.command())) + ") knows "
            + known);
      }
    }
    assertThat(flags())
        .extracting(f -> f.command() + " " + f.flag())
        .as("the scan finds documented options, in command lines and in prose")
        .contains("kstatefun dev --kafka-port", "kstatefun run --state-dir", "kstatefun dlq --loopback-topic",
            "kstatefun kafka --dir", "kstatefun topic --partitions", "kstatefun-bench run --workload");
    assertNoProblems("options in the docs that the commands do not parse", problems);
  }

  @Test
  void shouldParseTheDocumentedRunAndDlqCommandLines() {
    List<String> problems = new ArrayList<>();
    int parsed = 0;
    for (Invocation inv : invocations()) {
      String[] args = inv.args().toArray(String[]::new);
      try {
        switch (inv.command()) {
          case "kstatefun run" -> KStatefunCli.parseRun(args);
          case "kstatefun dlq" -> DeadLetterTool.parse(args);
          default -> {
            continue;
          }
        }
        parsed++;
      } catch (KStatefunCli.UsageException e) {
        if (e.getMessage().endsWith(" required")) {
          parsed++; // a fragment such as `bin/kstatefun run --set KEY=VALUE`
        } else {
          problems.add(inv.code().where() + ": `" + inv.code().text() + "`: " + e.getMessage());
        }
      }
    }
    assertThat(parsed).as("documented run and dlq command lines").isGreaterThanOrEqualTo(5);
    assertNoProblems("documented command lines the CLI rejects", problems);
  }

  // ---------------------------------------------------------------- what the docs say

  static List<Path> docs() {
    List<Path> out = new ArrayList<>();
    try {
      Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
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

  /** Every {@code [bin/]kstatefun[-bench] COMMAND ARGS} in the docs' code. */
  static List<Invocation> invocations() {
    List<Invocation> out = new ArrayList<>();
    for (Path doc : docs()) {
      for (Code code : code(doc)) {
        Matcher m = INVOCATION.matcher(code.text());
        if (m.matches()) {
          out.add(new Invocation(code, m.group(1) + " " + m.group(2), arguments(m.group(3))));
        }
      }
    }
    return out;
  }

  /** Arguments as a shell would pass them, without the brackets of optional parts. */
  private static List<String> arguments(String text) {
    String plain = text.replaceAll("[\\[\\]]", " ").replace("...", " ").trim();
    return plain.isEmpty() ? List.of() : Arrays.asList(plain.split("\\s+"));
  }

  record Flag(Code code, String command, String flag) {}

  record Setting(Code code, String command, String key) {}

  /** Every {@code --flag} in the docs' code, with the command it belongs to (see the class doc). */
  static List<Flag> flags() {
    List<Flag> out = new ArrayList<>();
    walkOptions((code, command, args) -> {
      if (command == null) {
        return; // no command named before it in this doc: nothing to check it against
      }
      for (String arg : args) {
        if (OPTION_START.matcher(arg).lookingAt()) {
          int eq = arg.indexOf('=');
          out.add(new Flag(code, command, eq > 0 ? arg.substring(0, eq) : arg));
        }
      }
    });
    return out;
  }

  /** Every {@code --set KEY=VALUE} in the docs' code, with its command (null if none was named). */
  static List<Setting> settings() {
    List<Setting> out = new ArrayList<>();
    walkOptions((code, command, args) -> {
      for (int i = 0; i + 1 < args.size(); i++) {
        if (args.get(i).equals("--set") && args.get(i + 1).indexOf('=') > 0) {
          out.add(new Setting(code, command, args.get(i + 1).substring(0, args.get(i + 1).indexOf('='))));
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

  /** Per launcher, the commands it accepts, read from the launcher script and the Java mains. */
  static Map<String, Set<String>> acceptedCommands() {
    Set<String> kstatefun = new TreeSet<>();
    // bin/kstatefun: its own `case` arms (dev), everything else goes to KStatefunCli.
    for (String line : readLines(ROOT.resolve("bin/kstatefun"))) {
      Matcher m = Pattern.compile("^\\s+([a-z][a-z-]*)\\)\\s*$").matcher(line);
      if (m.matches()) {
        kstatefun.add(m.group(1));
      }
    }
    String cli = read(ROOT.resolve("kstreams-runtime/src/main/java/io/kstatefun/runtime/cli/KStatefunCli.java"));
    kstatefun.addAll(matches(cli, "case \"([a-z][a-z-]*)\":"));
    kstatefun.addAll(matches(cli, "args\\[0\\]\\.equals\\(\"([a-z-]+)\"\\)"));
    Set<String> bench = new TreeSet<>();
    String benchMain = read(ROOT.resolve(BENCH + "Bench.java"));
    bench.addAll(matches(benchMain, "case \"([a-z][a-z-]*)\" ->"));
    bench.addAll(matches(benchMain, "argv\\[0\\]\\.equals\\(\"([a-z-]+)\"\\)"));
    assertThat(kstatefun).as("commands of bin/kstatefun").contains("dev", "run", "kafka", "topic", "dlq", "help");
    assertThat(bench).as("commands of bin/kstatefun-bench").contains("suite", "run", "help");
    return Map.of("kstatefun", kstatefun, "kstatefun-bench", bench);
  }

  private static Set<String> optionLiterals(List<String> sources) {
    Set<String> out = new TreeSet<>();
    for (String source : sources) {
      out.addAll(matches(read(ROOT.resolve(source)), OPTION_LITERAL.pattern()));
    }
    return out;
  }

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
    out.add(DeadLetterTool.REINJECTED_FROM);
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

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> readLines(Path file) {
    return read(file).lines().toList();
  }

  private static void assertNoProblems(String what, List<String> problems) {
    if (!problems.isEmpty()) {
      fail(problems.size() + " " + what + ":\n  " + String.join("\n  ", problems));
    }
  }
}
