package io.kstatefun.runtime.cli;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.state.ExportOptions;
import io.kstatefun.runtime.state.ExportReport;
import io.kstatefun.runtime.state.ImportOptions;
import io.kstatefun.runtime.state.ImportReport;
import io.kstatefun.runtime.state.StateExporter;
import io.kstatefun.runtime.state.StateFileException;
import io.kstatefun.runtime.state.StateImporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun state export|import}: an application's function state and pending timers to and
 * from a portable state file (docs/state-files.md).
 */
@Command(
    name = "state",
    sortSynopsis = false,
    description =
        "Exports an application's function state and pending timers to a portable file, or imports one.",
    subcommands = {StateCommand.Export.class, StateCommand.Import.class})
public final class StateCommand {

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  /** The options both commands share. */
  abstract static class Common {

    @Spec CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Option(
        names = "--application-id",
        paramLabel = "ID",
        required = true,
        description = "The application (its Kafka Streams application id).")
    String applicationId;

    @Option(names = "--file", paramLabel = "FILE", required = true, description = "The state file.")
    Path file;

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT",
        defaultValue = "127.0.0.1:9092",
        description = "Kafka. Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description =
            "A Kafka client property (e.g. for SSL or SASL) or kstatefun.* setting the application runs"
                + " with (e.g. kstatefun.loopback.topic, kstatefun.partitions); repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    KStatefunConfig config() {
      Map<String, Object> props = new LinkedHashMap<>(settings);
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      return new KStatefunConfig(props);
    }

    /** Progress lines, at most one every 2 seconds. */
    java.util.function.Consumer<String> progress(PrintWriter out) {
      long[] last = {0};
      return line -> {
        long now = System.nanoTime();
        if (now - last[0] >= 2_000_000_000L) {
          last[0] = now;
          out.println(line);
          out.flush();
        }
      };
    }

    abstract int run(PrintWriter out) throws IOException;

    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        return run(out);
      } catch (StateFileException e) {
        err.println("kstatefun state " + spec.name() + ": " + e.getMessage());
        return 1;
      } catch (IOException e) {
        err.println("kstatefun state " + spec.name() + ": cannot use " + file + ": " + e);
        return 1;
      } catch (IllegalStateException | IllegalArgumentException | KafkaException e) {
        err.println("kstatefun state " + spec.name() + ": " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code state export}. */
  @Command(
      name = "export",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Writes the application's function state and pending timers (messages waiting in mailboxes"
              + " included, as delayed messages due now) to FILE, read from its changelog topics."
              + " Refuses a running application unless --force.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:exported",
        "1:refused (application running), Kafka not reachable or a record unreadable; no file written",
        "2:bad command line"
      })
  static final class Export extends Common implements Callable<Integer> {

    @Option(
        names = "--force",
        description =
            "Export even while the application runs: each partition is then exported as of its last"
                + " committed transaction, not all at one point in time.")
    boolean force;

    @Override
    int run(PrintWriter out) throws IOException {
      ExportReport report =
          StateExporter.export(
              file,
              config(),
              ExportOptions.defaults().withForce(force).withProgress(progress(out)));
      out.println(report.summary());
      return 0;
    }
  }

  /** {@code state import}. */
  @Command(
      name = "import",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Writes FILE into the application's state and timers in one Kafka transaction (all or"
              + " nothing). Refuses a running application, and a target that already has state unless"
              + " --force or --merge. Importing the same file again writes nothing.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:imported (or imported before: nothing written)",
        "1:refused (running application, target not empty, damaged file) or failed; the target is"
            + " unchanged",
        "2:bad command line"
      })
  static final class Import extends Common implements Callable<Integer> {

    static final class Mode {
      @Option(
          names = "--force",
          description =
              "The target's state and timers are replaced: afterwards it holds exactly the file's.")
      boolean replace;

      @Option(
          names = "--merge",
          description =
              "Keep the target's state and timers: an address of the file replaces that address's"
                  + " state; a delayed message the target holds already is not added again.")
      boolean merge;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Mode mode;

    @Option(
        names = "--transaction-timeout",
        paramLabel = "DURATION",
        defaultValue = "PT15M",
        description =
            "The import transaction's timeout (ISO-8601, e.g. PT15M); capped by the broker's"
                + " transaction.max.timeout.ms. Default: ${DEFAULT-VALUE}.")
    Duration transactionTimeout;

    @Override
    int run(PrintWriter out) throws IOException {
      if (!Files.isRegularFile(file)) {
        throw new IOException("no such file");
      }
      ImportOptions.Mode m =
          mode == null
              ? ImportOptions.Mode.EMPTY_TARGET
              : mode.replace ? ImportOptions.Mode.REPLACE : ImportOptions.Mode.MERGE;
      ImportReport report =
          StateImporter.importFile(
              file,
              config(),
              ImportOptions.defaults()
                  .withMode(m)
                  .withTransactionTimeout(transactionTimeout)
                  .withProgress(progress(out)));
      out.println(report.summary());
      return 0;
    }
  }
}
