package io.kstatefun.cli;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.state.ImportOptions;
import io.kstatefun.runtime.state.ImportReport;
import io.kstatefun.runtime.state.StateImporter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun import-statefun}: moves a StateFun 3.3.0 job's state into a kstatefun
 * application in two steps. (1) A child JVM with the importer's own class path (Flink 1.16 and
 * StateFun, lib/statefun-import/; never this JVM's) reads the savepoint and writes a portable state
 * file. (2) Unless {@code --dry-run} or without {@code --bootstrap-servers}, this JVM loads the
 * file with {@link StateImporter} (one Kafka transaction) and sets the application's consumer group
 * to where StateFun's Kafka ingresses stopped, for partitions where the group has no offset yet.
 */
@Command(
    name = "import-statefun",
    sortOptions = false,
    sortSynopsis = false,
    description =
        "Moves a StateFun 3.3.0 job's state into a kstatefun application: reads the savepoint"
            + " (RocksDB or heap state backend, canonical format) and imports, for every remote"
            + " function type of the module, each address's state values and each pending delayed"
            + " message; then starts the application's consumer group where StateFun's Kafka"
            + " ingresses stopped. What it cannot carry over is listed and counted."
            + " See docs/migrating-from-statefun.md.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:imported (or, with --dry-run or without --bootstrap-servers, the file written/report"
          + " printed)",
      "1:the savepoint could not be read, or the import was refused or failed (the application"
          + " is unchanged)",
      "2:bad command line"
    })
public final class ImportStatefunCommand implements Callable<Integer> {

  /** The system property with the importer's class path (set by bin/kstatefun). */
  static final String CLASSPATH_PROPERTY = "kstatefun.statefun-import.classpath";

  /** What the JDK 17 module system must open for Flink 1.16 (Kryo, closures). */
  public static final List<String> FLINK_JVM_OPTIONS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--savepoint",
      required = true,
      paramLabel = "DIR",
      description = "The savepoint directory (from `flink stop --savepointPath`).")
  Path savepoint;

  @Option(
      names = "--module",
      required = true,
      paramLabel = "FILE",
      description = "The StateFun job's module.yaml: which function types are remote.")
  Path module;

  @Option(
      names = "--application-id",
      required = true,
      paramLabel = "ID",
      description = "The kstatefun application to import into (its Kafka Streams application id).")
  String applicationId;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description =
          "Kafka of the application. Without it, only the state file is written (import it later"
              + " with `kstatefun state import`).")
  String bootstrap;

  @Option(
      names = "--dry-run",
      description =
          "Print what would be imported (function types, address counts, state names and sizes,"
              + " delayed messages, ingress positions); write and import nothing.")
  boolean dryRun;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "The state file to write. Default: <application id>.statefun-state")
  Path output;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "A Kafka client property (e.g. for SSL or SASL) or kstatefun.* setting the application runs"
              + " with (e.g. kstatefun.partitions); repeatable.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String classpath = System.getProperty(CLASSPATH_PROPERTY, "");
    if (classpath.isBlank()) {
      err.println(
          "kstatefun import-statefun: the importer's class path is not set (system property "
              + CLASSPATH_PROPERTY
              + "; bin/kstatefun sets it to lib/statefun-import/*)");
      return 1;
    }
    Path file = output != null ? output : Path.of(applicationId + ".statefun-state");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(System.getProperty("kstatefun.statefun-import.heap", "-Xmx1g"));
    command.addAll(FLINK_JVM_OPTIONS);
    command.add("-cp");
    command.add(classpath);
    command.add("io.kstatefun.statefunimport.ImportStatefunMain");
    command.addAll(
        List.of(
            "--savepoint",
            savepoint.toString(),
            "--module",
            module.toString(),
            "--application-id",
            applicationId,
            "--output",
            file.toString()));
    if (bootstrap != null) {
      command.addAll(List.of("--bootstrap-servers", bootstrap));
    }
    if (dryRun) {
      command.add("--dry-run");
    }
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    Path written = null;
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("import-statefun file ")) {
          written = Path.of(line.substring("import-statefun file ".length()));
        } else if (line.startsWith("import-statefun offset ")) {
          String[] f = line.split(" ");
          positions.put(new TopicPartition(f[2], Integer.parseInt(f[3])), Long.parseLong(f[4]));
        } else if (line.startsWith("import-statefun:")) {
          out.println(line);
        } else {
          err.println(line); // the child's logging and errors
        }
        out.flush();
      }
    }
    int code = child.waitFor();
    if (code != 0) {
      err.println(
          "kstatefun import-statefun: reading the savepoint failed (exit code " + code + ")");
      return code == 2 ? 2 : 1;
    }
    if (dryRun) {
      return 0;
    }
    if (bootstrap == null) {
      out.println("import-statefun: wrote " + written);
      out.println(
          "import-statefun: next: kstatefun state import --application-id "
              + applicationId
              + " --file "
              + written
              + " --bootstrap-servers HOST:PORT, then set the consumer group's offsets as printed"
              + " above, then kstatefun run --application-id "
              + applicationId);
      return 0;
    }
    try {
      KStatefunConfig config = config();
      ImportReport report =
          StateImporter.importFile(
              written, config, ImportOptions.defaults().withProgress(out::println));
      out.println(report.summary());
      startIngressesWhereStatefunStopped(positions, out);
      out.flush();
      return 0;
    } catch (IOException | IllegalStateException | IllegalArgumentException | KafkaException e) {
      err.println("kstatefun import-statefun: " + e.getMessage());
      return 1;
    }
  }

  private KStatefunConfig config() {
    Map<String, Object> props = new LinkedHashMap<>(settings);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return new KStatefunConfig(props);
  }

  /**
   * Commits StateFun's positions for the application's consumer group, only for partitions where
   * the group has no offset yet: a second import (or one after the application ran) never moves the
   * group back, which would read messages twice.
   */
  private void startIngressesWhereStatefunStopped(
      Map<TopicPartition, Long> positions, PrintWriter out) throws Exception {
    if (positions.isEmpty()) {
      return;
    }
    Map<String, Object> adminProps = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          if (!k.startsWith("kstatefun.")) {
            adminProps.put(k, v);
          }
        });
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetAndMetadata> toCommit = new LinkedHashMap<>();
      positions.forEach(
          (tp, next) -> {
            OffsetAndMetadata current = committed.get(tp);
            if (current == null) {
              toCommit.put(tp, new OffsetAndMetadata(next, "kstatefun import-statefun"));
            } else {
              out.println(
                  "import-statefun: "
                      + tp
                      + ": the group "
                      + applicationId
                      + " already has offset "
                      + current.offset()
                      + " (StateFun stopped at "
                      + next
                      + "); kept");
            }
          });
      if (!toCommit.isEmpty()) {
        admin.alterConsumerGroupOffsets(applicationId, toCommit).all().get();
        out.println(
            "import-statefun: consumer group "
                + applicationId
                + " starts where StateFun stopped on "
                + toCommit.size()
                + " partitions");
      }
    }
  }
}
