package io.kstatefun.statefunimport;

import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.StateFileEntry;
import io.kstatefun.runtime.internals.proto.StateFileHeader;
import io.kstatefun.runtime.internals.proto.StateFileTrailer;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.input.KeyedStateInputFormat;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.connectors.kafka.internals.KafkaTopicPartition;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kstatefun import-statefun}, the StateFun side: reads a StateFun 3.3.0 savepoint and writes
 * its remote functions' state and pending delayed messages as a portable state file (or, with
 * {@code --dry-run}, only says what it would write). The kstatefun launcher runs this main in its
 * own JVM (Flink's class path) and then loads the file with {@code state import}.
 *
 * <p>Output lines that start with {@code import-statefun:} are meant for people; the launcher reads
 * {@code import-statefun file <path>} and {@code import-statefun offset <topic> <partition>
 * <offset>}.
 */
@Command(
    name = "import-statefun",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Reads a StateFun 3.3.0 savepoint (RocksDB or heap state backend, canonical format) and"
            + " writes the state and pending delayed messages of the module's remote functions"
            + " to a portable state file.")
public final class ImportStatefunMain implements Callable<Integer> {

  @Option(
      names = "--savepoint",
      required = true,
      paramLabel = "DIR",
      description = "The savepoint directory (or its _metadata file).")
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
      description = "The kstatefun application the state is for (its consumer group).")
  String applicationId;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "The state file to write. Default: <application id>.statefun-state")
  Path output;

  @Option(
      names = "--dry-run",
      description =
          "Print what would be imported (function types, address counts, state names and sizes,"
              + " delayed messages, ingress positions) and write nothing.")
  boolean dryRun;

  @Option(
      names = "--state-backend",
      paramLabel = "rocksdb|hashmap",
      description =
          "The Flink state backend that reads the savepoint (either reads either kind of"
              + " canonical savepoint). Default: ${DEFAULT-VALUE}")
  String stateBackend = "rocksdb";

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      description = "Reader tasks. Default: ${DEFAULT-VALUE}")
  int parallelism = 2;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description = "Only shown in the printed offset commands.")
  String bootstrapServers = "HOST:PORT";

  private final PrintStream out;

  ImportStatefunMain(PrintStream out) {
    this.out = out;
  }

  public ImportStatefunMain() {
    this(System.out);
  }

  public static void main(String[] args) {
    int code = new CommandLine(new ImportStatefunMain()).execute(args);
    System.out.flush();
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    ModuleSpec spec = ModuleSpec.parse(module);
    StatefunSavepoint sp = StatefunSavepoint.load(savepoint.toString(), spec);
    out.println("import-statefun: savepoint " + savepoint);
    out.println("import-statefun: remote functions of the module: " + spec.describeFunctions());
    Path file = output != null ? output : Path.of(applicationId + ".statefun-state");
    Path tmp = dryRun ? null : file.resolveSibling(file.getFileName() + ".tmp");
    Summary summary = new Summary();
    long start = System.nanoTime();
    try (OutputStream os = dryRun ? OutputStream.nullOutputStream() : newFile(tmp)) {
      StateFileEntry.newBuilder()
          .setHeader(
              StateFileHeader.newBuilder()
                  .setFormatVersion(1)
                  .setSource("statefun-savepoint")
                  .setSourceId(savepoint.toString())
                  .setCreatedAtMs(System.currentTimeMillis()))
          .build()
          .writeDelimitedTo(os);
      read(sp, spec, summary, os);
      StateFileEntry.newBuilder()
          .setTrailer(
              StateFileTrailer.newBuilder()
                  .setAddresses(summary.addresses)
                  .setValues(summary.values)
                  .setTimers(summary.timers))
          .build()
          .writeDelimitedTo(os);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    summary.feedbackMessages = sp.feedbackMessages();
    summary.print(out, sp, spec);
    out.printf(
        "import-statefun: read %d addresses, %d values, %d delayed messages in %.1f s%n",
        summary.addresses, summary.values, summary.timers, seconds);
    offsets(sp, spec);
    if (dryRun) {
      out.println("import-statefun: dry run, nothing written");
    } else {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      out.println("import-statefun file " + file.toAbsolutePath());
    }
    return 0;
  }

  private static OutputStream newFile(Path tmp) throws java.io.IOException {
    return new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
  }

  private StreamExecutionEnvironment environment() {
    Configuration conf = new Configuration();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    return env;
  }

  private StateBackend backend() {
    return "hashmap".equals(stateBackend)
        ? new HashMapStateBackend()
        : new EmbeddedRocksDBStateBackend();
  }

  private void read(StatefunSavepoint sp, ModuleSpec spec, Summary summary, OutputStream os)
      throws Exception {
    StreamExecutionEnvironment env = environment();
    FunctionStateReader reader =
        new FunctionStateReader(sp.states, sp.messageFactoryType, sp.customPayloadSerializer);
    KeyedStateInputFormat<String, Slot, SavepointRecord> format =
        new KeyedStateInputFormat<>(sp.functions, backend(), new Configuration(), reader);
    try (CloseableIterator<SavepointRecord> records =
        env.createInput(format, TypeInformation.of(SavepointRecord.class))
            .executeAndCollect("kstatefun import-statefun")) {
      while (records.hasNext()) {
        SavepointRecord r = records.next();
        switch (r.kind) {
          case SavepointRecord.ADDRESS -> {
            AddressState a = AddressState.parseFrom(r.bytes);
            summary.address(r.functionType, a);
            StateFileEntry.newBuilder().setAddress(a).build().writeDelimitedTo(os);
          }
          case SavepointRecord.DELAYED -> {
            if (spec.isRemote(r.functionType)) {
              TimerEntry t = TimerEntry.parseFrom(r.bytes);
              summary.timer(r.functionType, t);
              StateFileEntry.newBuilder().setTimer(t).build().writeDelimitedTo(os);
            } else {
              summary.notCarried(
                  "delayed messages to function types not bound by the module ("
                      + r.functionType
                      + ")",
                  1);
            }
          }
          case SavepointRecord.DELAYED_NOT_CARRIED ->
              summary.notCarried(
                  "delayed messages with a non-remote payload (to " + r.functionType + ")", 1);
          case SavepointRecord.NOT_CARRIED -> {
            ReadState s = sp.states.get(r.state);
            summary.notCarried("state " + s.flinkName() + ": " + s.stateName(), 1);
          }
          case SavepointRecord.BATCHED ->
              summary.notCarried(
                  "messages queued for a busy address (" + sp.states.get(r.state).flinkName() + ")",
                  r.count);
          case SavepointRecord.IN_FLIGHT ->
              summary.notCarried(
                  "requests in flight to remote functions (asyncOperations)", r.count);
          default -> {}
        }
      }
    }
  }

  /** The Kafka ingresses' positions: what StateFun's Kafka consumers had read. */
  private void offsets(StatefunSavepoint sp, ModuleSpec spec) throws Exception {
    for (ModuleSpec.KafkaIngress ingress : spec.kafkaIngresses()) {
      if (StatefunSavepoint.operator(sp.metadata, ingress.sourceUid()) == null) {
        out.println(
            "import-statefun: ingress "
                + ingress.id()
                + ": no offsets in the savepoint (its source uid "
                + ingress.sourceUid()
                + " has no state)");
        continue;
      }
      SavepointReader reader = SavepointReader.read(environment(), sp.path, backend());
      List<Tuple2<KafkaTopicPartition, Long>> offsets = new ArrayList<>();
      try (CloseableIterator<Tuple2<KafkaTopicPartition, Long>> it =
          reader
              .readUnionState(
                  ingress.sourceUid(),
                  "topic-partition-offset-states",
                  new TupleTypeInfo<Tuple2<KafkaTopicPartition, Long>>(
                      TypeInformation.of(KafkaTopicPartition.class), Types.LONG))
              .executeAndCollect()) {
        it.forEachRemaining(offsets::add);
      }
      offsets.sort(
          (a, b) ->
              a.f0.getTopic().equals(b.f0.getTopic())
                  ? Integer.compare(a.f0.getPartition(), b.f0.getPartition())
                  : a.f0.getTopic().compareTo(b.f0.getTopic()));
      out.println(
          "import-statefun: ingress "
              + ingress.id()
              + ": where StateFun stopped reading (next offset per partition); kstatefun's"
              + " consumer group "
              + applicationId
              + " must start there:");
      for (Tuple2<KafkaTopicPartition, Long> o : offsets) {
        if (o.f1 < 0) {
          out.println(
              "import-statefun:   "
                  + o.f0.getTopic()
                  + "-"
                  + o.f0.getPartition()
                  + ": nothing read yet (StateFun's sentinel "
                  + o.f1
                  + "); the module's startupPosition applies");
          continue;
        }
        long next = o.f1 + 1;
        out.println(
            "import-statefun offset " + o.f0.getTopic() + " " + o.f0.getPartition() + " " + next);
        out.println(
            "import-statefun:   kafka-consumer-groups.sh --bootstrap-server "
                + bootstrapServers
                + " --group "
                + applicationId
                + " --reset-offsets --topic "
                + o.f0.getTopic()
                + ":"
                + o.f0.getPartition()
                + " --to-offset "
                + next
                + " --execute");
      }
    }
  }

  /** Counts for the report, per function type and state. */
  static final class Summary {
    long addresses;
    long values;
    long timers;
    final Map<String, long[]> addressesByType = new TreeMap<>();
    final Map<String, long[]> stateSizes = new TreeMap<>();
    final Map<String, long[]> timersByType = new TreeMap<>();
    final Map<String, Long> notCarried = new TreeMap<>();
    long firstDue = Long.MAX_VALUE;
    long lastDue = Long.MIN_VALUE;
    long withToken;
    long feedbackMessages;

    void address(String type, AddressState a) {
      addresses++;
      values += a.getValuesCount();
      addressesByType.computeIfAbsent(type, t -> new long[1])[0]++;
      for (StoredValue v : a.getValuesList()) {
        long[] s =
            stateSizes.computeIfAbsent(
                type + " " + v.getName() + " (" + v.getTypename() + ")", k -> new long[2]);
        s[0]++;
        s[1] += v.getValue().size();
      }
    }

    void timer(String type, TimerEntry t) {
      timers++;
      timersByType.computeIfAbsent(type, k -> new long[1])[0]++;
      firstDue = Math.min(firstDue, t.getDueMs());
      lastDue = Math.max(lastDue, t.getDueMs());
      if (!t.getCancellationToken().isEmpty()) {
        withToken++;
      }
    }

    void notCarried(String what, long n) {
      notCarried.merge(what, n, Long::sum);
    }

    void print(PrintStream out, StatefunSavepoint sp, ModuleSpec spec) {
      addressesByType.forEach(
          (t, n) -> out.println("import-statefun: function " + t + ": " + n[0] + " addresses"));
      stateSizes.forEach(
          (s, n) ->
              out.println(
                  "import-statefun:   state " + s + ": " + n[0] + " values, " + n[1] + " bytes"));
      sp.states.stream()
          .filter(s -> s.kind() == ReadState.Kind.REMOTE_VALUE && s.ttl())
          .forEach(
              s ->
                  out.println(
                      "import-statefun:   state "
                          + s.functionType()
                          + " "
                          + s.stateName()
                          + " has a TTL in StateFun; the savepoint keeps only each value's last"
                          + " access time, so imported values have no expiry until the function"
                          + " next writes (or, for expire-after-call, invokes) them"));
      timersByType.forEach(
          (t, n) ->
              out.println("import-statefun: delayed messages to " + t + ": " + n[0] + " pending"));
      if (timers > 0) {
        out.println(
            "import-statefun:   due between "
                + java.time.Instant.ofEpochMilli(firstDue)
                + " and "
                + java.time.Instant.ofEpochMilli(lastDue)
                + "; "
                + withToken
                + " with a cancellation token");
      }
      for (String internal : sp.internalStates) {
        out.println("import-statefun: skipped (StateFun internal): " + internal);
      }
      if (feedbackMessages > 0) {
        notCarried.merge(
            "messages in StateFun's feedback loop (raw state of "
                + StatefunSavepoint.FEEDBACK_UNION_UID
                + ")",
            feedbackMessages,
            Long::sum);
      }
      sp.otherOperators(spec)
          .forEach(
              (op, bytes) -> {
                boolean ingress =
                    spec.kafkaIngresses().stream().anyMatch(i -> i.sourceUid().equals(op));
                boolean egress =
                    spec.kafkaEgresses().stream()
                        .anyMatch(e -> ModuleSpec.egressSinkUid(e).equals(op));
                if (egress) {
                  out.println(
                      "import-statefun: skipped: state of egress sink "
                          + op
                          + " (its Kafka producer's transactions; kstatefun has its own)");
                } else if (!ingress && !op.equals(StatefunSavepoint.FEEDBACK_UNION_UID)) {
                  notCarried.merge("bytes of state of " + op, bytes, Long::sum);
                }
              });
      if (notCarried.isEmpty()) {
        out.println("import-statefun: not carried over: nothing");
      }
      notCarried.forEach(
          (what, n) -> out.println("import-statefun: NOT carried over: " + n + " " + what));
    }
  }
}
