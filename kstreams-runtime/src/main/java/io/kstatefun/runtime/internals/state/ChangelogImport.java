package io.kstatefun.runtime.internals.state;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.proto.StateFileEntry;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.internals.topology.StoreKeys;
import io.kstatefun.runtime.state.ImportOptions;
import io.kstatefun.runtime.state.ImportReport;
import io.kstatefun.runtime.state.StateFileException;
import io.kstatefun.runtime.state.StateFileReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;

/**
 * One import of a state file into one application (see {@code StateImporter}): validate the file,
 * check the application, prepare its changelog topics, read its current state and timers, then
 * write everything in one transaction.
 *
 * <p>Memory: the file is streamed twice (validation, then writing), never held. What is held is one
 * 8-byte hash per address of the file (the duplicate check), one key per cancellation token of the
 * file, and the target's current state and timer records (none for an empty target).
 *
 * <p>Threading: one thread runs an import.
 */
public final class ChangelogImport {

  /** The broker's default {@code transaction.max.timeout.ms}, when it cannot be read. */
  private static final long DEFAULT_BROKER_MAX_TXN_MS = 900_000;

  private static final long PROGRESS_EVERY = 100_000;

  private final KStatefunConfig config;
  private final ImportOptions options;
  private final String app;

  public ChangelogImport(KStatefunConfig config, ImportOptions options) {
    this.config = config;
    this.options = options;
    this.app = config.applicationId();
  }

  public ImportReport run(Path file) throws IOException {
    long start = System.nanoTime();
    byte[] digest = validate(file);
    try (Admin admin = Applications.admin(config)) {
      Applications.requireStopped(admin, app, "importing state");
      int partitions = partitions(admin);
      ensureChangelogs(admin, partitions);
      Target target = Target.read(config, partitions, options.progress());
      if (target.imported(digest)) {
        return new ImportReport(
            app,
            partitions,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            true,
            Duration.ofNanos(System.nanoTime() - start));
      }
      if (!target.isEmpty() && options.mode() == ImportOptions.Mode.EMPTY_TARGET) {
        throw new IllegalStateException(
            "application "
                + app
                + " already has state: "
                + target.stateRecords()
                + " addresses with state and "
                + target.timerRecords()
                + " timer records in "
                + Applications.stateChangelog(config)
                + " and "
                + Applications.timerChangelog(config)
                + ". Import into an empty application, or choose --merge (keep its state, add the"
                + " file's) or --force (replace its state and timers by the file's).");
      }
      long maxTxnMs = brokerMaxTransactionTimeout(admin);
      long txnMs = Math.min(options.transactionTimeout().toMillis(), maxTxnMs);
      Writer writer = new Writer(partitions, target, digest, start);
      writer.write(file, txnMs);
      return writer.report(Duration.ofNanos(System.nanoTime() - start));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while importing into " + app, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot import into " + app + ": Kafka failed: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the whole file before anything is written: it must be complete (trailer), its addresses
   * valid and each given once, its timers' targets and callers valid, a token only with a caller.
   *
   * @return the file's SHA-256
   */
  static byte[] validate(Path file) throws IOException {
    long[] hashes = new long[1024];
    int n = 0;
    long index = 0;
    try (StateFileReader reader = StateFileReader.open(file)) {
      StateFileEntry e;
      while ((e = reader.next()) != null) {
        index++;
        if (e.hasAddress()) {
          Address address = address(e.getAddress().getAddress(), file, index, "address");
          if (n == hashes.length) {
            hashes = Arrays.copyOf(hashes, n * 2);
          }
          hashes[n++] = hash(StoreKeys.address(address));
          Set<String> names = new HashSet<>();
          for (StoredValue v : e.getAddress().getValuesList()) {
            if (v.getName().isEmpty() || !names.add(v.getName())) {
              throw new StateFileException(
                  file
                      + ": entry "
                      + index
                      + " ("
                      + address
                      + ") has an empty or repeated state name '"
                      + v.getName()
                      + "'");
            }
          }
        } else {
          TimerEntry t = e.getTimer();
          address(t.getEnvelope().getTarget(), file, index, "timer target");
          if (t.getEnvelope().hasCaller()) {
            address(t.getEnvelope().getCaller(), file, index, "timer caller");
          } else if (!t.getCancellationToken().isEmpty()) {
            throw new StateFileException(
                file
                    + ": entry "
                    + index
                    + " is a timer with cancellation token '"
                    + t.getCancellationToken()
                    + "' but no caller (tokens belong to the sender)");
          }
        }
      }
      long[] sorted = Arrays.copyOf(hashes, n);
      Arrays.sort(sorted);
      for (int i = 1; i < n; i++) {
        if (sorted[i] == sorted[i - 1]) {
          checkDuplicate(file, sorted[i]);
        }
      }
      return reader.digest();
    }
  }

  /** Two addresses with the same 64-bit hash: the same address twice, or (rarely) a collision. */
  private static void checkDuplicate(Path file, long hash) throws IOException {
    Set<Address> seen = new HashSet<>();
    try (StateFileReader reader = StateFileReader.open(file)) {
      StateFileEntry e;
      while ((e = reader.next()) != null) {
        if (e.hasAddress()) {
          Address a = Address.fromProto(e.getAddress().getAddress());
          if (hash(StoreKeys.address(a)) == hash && !seen.add(a)) {
            throw new StateFileException(file + ": address " + a + " appears twice");
          }
        }
      }
    }
  }

  private static long hash(byte[] key) {
    return ((long) Utils.murmur2(key) << 32) | (Arrays.hashCode(key) & 0xFFFFFFFFL);
  }

  private static Address address(
      io.kstatefun.protocol.Address proto, Path file, long index, String what)
      throws StateFileException {
    try {
      return Address.fromProto(proto);
    } catch (IllegalArgumentException e) {
      throw new StateFileException(
          file
              + ": entry "
              + index
              + " has an invalid "
              + what
              + " '"
              + proto.getNamespace()
              + "/"
              + proto.getType()
              + "/"
              + proto.getId()
              + "': "
              + e.getMessage());
    }
  }

  /**
   * The address partitions of the application: the loopback topic's partition count when it exists
   * (the runtime keeps it), else {@code kstatefun.partitions} (the runtime will create it with that
   * many); existing changelog topics must agree.
   */
  private int partitions(Admin admin)
      throws InterruptedException, ExecutionException, TimeoutException {
    int loopback = Applications.partitions(admin, config.loopbackTopic());
    int partitions =
        loopback > 0 ? loopback : config.getInt(KStatefunConfig.PARTITIONS_CONFIG).intValue();
    for (String topic : changelogs()) {
      int n = Applications.partitions(admin, topic);
      if (n > 0 && n != partitions) {
        throw new IllegalStateException(
            "changelog topic "
                + topic
                + " has "
                + n
                + " partitions but application "
                + app
                + " has "
                + partitions
                + (loopback > 0
                    ? " (its loopback topic " + config.loopbackTopic() + ")"
                    : " (kstatefun.partitions)")
                + "; they must match");
      }
    }
    return partitions;
  }

  private List<String> changelogs() {
    return List.of(
        Applications.mailboxChangelog(config),
        Applications.stateChangelog(config),
        Applications.timerChangelog(config));
  }

  /**
   * Creates the missing changelog topics as Kafka Streams would at the runtime's first start: one
   * partition per address partition (Kafka Streams then finds them as it expects and keeps them),
   * compacted, with the user's {@code topic.*} settings and the runtime's record size limit, and
   * Kafka Streams' {@code replication.factor}.
   */
  private void ensureChangelogs(Admin admin, int partitions)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, String> configs = new HashMap<>();
    KStatefunConfig.streamsProperties(config.originals())
        .forEach(
            (k, v) -> {
              String key = k.toString();
              if (key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
                configs.put(key.substring(StreamsConfig.TOPIC_PREFIX.length()), v.toString());
              }
            });
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    Object rf = config.originals().get(StreamsConfig.REPLICATION_FACTOR_CONFIG);
    short replication = rf == null ? -1 : Short.parseShort(rf.toString().trim());
    for (String topic : changelogs()) {
      if (Applications.partitions(admin, topic) > 0) {
        continue;
      }
      NewTopic t =
          replication > 0
              ? new NewTopic(topic, partitions, replication)
              : new NewTopic(topic, java.util.Optional.of(partitions), java.util.Optional.empty());
      t.configs(configs);
      try {
        admin
            .createTopics(List.of(t))
            .all()
            .get(Applications.TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS);
        options.progress().accept("created changelog topic " + topic + " (" + partitions + ")");
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  /** The brokers' {@code transaction.max.timeout.ms} (the first broker's), or Kafka's default. */
  private static long brokerMaxTransactionTimeout(Admin admin)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<Node> nodes =
        new ArrayList<>(
            admin
                .describeCluster()
                .nodes()
                .get(Applications.TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS));
    if (nodes.isEmpty()) {
      return DEFAULT_BROKER_MAX_TXN_MS;
    }
    ConfigResource broker =
        new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(nodes.get(0).id()));
    Config c =
        admin
            .describeConfigs(List.of(broker))
            .all()
            .get(Applications.TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS)
            .get(broker);
    ConfigEntry e = c == null ? null : c.get("transaction.max.timeout.ms");
    return e == null || e.value() == null ? DEFAULT_BROKER_MAX_TXN_MS : Long.parseLong(e.value());
  }

  /**
   * The target application's state and timer records, per partition, as the runtime restores them.
   */
  static final class Target {
    final List<Map<Bytes, byte[]>> state;
    final List<Map<Bytes, byte[]>> timers;

    Target(List<Map<Bytes, byte[]>> state, List<Map<Bytes, byte[]>> timers) {
      this.state = state;
      this.timers = timers;
    }

    /** A target without any record. */
    static Target empty(int partitions) {
      List<Map<Bytes, byte[]>> state = new ArrayList<>();
      List<Map<Bytes, byte[]>> timers = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        state.add(new HashMap<>());
        timers.add(new HashMap<>());
      }
      return new Target(state, timers);
    }

    static Target read(
        KStatefunConfig config, int partitions, java.util.function.Consumer<String> progress) {
      List<Map<Bytes, byte[]>> state = new ArrayList<>();
      List<Map<Bytes, byte[]>> timers = new ArrayList<>();
      try (ChangelogReader reader = new ChangelogReader(Applications.clientProps(config))) {
        for (int p = 0; p < partitions; p++) {
          String s = Applications.stateChangelog(config);
          String t = Applications.timerChangelog(config);
          int partition = p;
          state.add(
              reader.read(
                  s, p, n -> progress.accept("reading target " + s + "-" + partition + ": " + n)));
          timers.add(
              reader.read(
                  t, p, n -> progress.accept("reading target " + t + "-" + partition + ": " + n)));
        }
      }
      return new Target(state, timers);
    }

    boolean imported(byte[] digest) {
      return timers.get(0).containsKey(Bytes.wrap(StoreKeys.importMarker(digest)));
    }

    long stateRecords() {
      return state.stream().mapToLong(Map::size).sum();
    }

    /** Timers and token index records (not the meta keys). */
    long timerRecords() {
      long n = 0;
      for (Map<Bytes, byte[]> m : timers) {
        for (Bytes k : m.keySet()) {
          if (k.get()[0] != StoreKeys.META) {
            n++;
          }
        }
      }
      return n;
    }

    boolean isEmpty() {
      return stateRecords() == 0 && timerRecords() == 0;
    }

    long meta(int partition, byte[] key) {
      byte[] v = timers.get(partition).get(Bytes.wrap(key));
      return v == null || v.length != 8 ? 0 : ByteBuffer.wrap(v).getLong();
    }
  }

  /** Writes the records of one import in one transaction; {@link ImportRecords} decides them. */
  private final class Writer {
    private final ImportRecords plan;
    private final long start;
    private final String stateTopic = Applications.stateChangelog(config);
    private final String timerTopic = Applications.timerChangelog(config);
    private final AtomicReference<Exception> sendError = new AtomicReference<>();
    private KafkaProducer<byte[], byte[]> producer;
    private long nextProgress = PROGRESS_EVERY;

    Writer(int partitions, Target target, byte[] digest, long start) {
      this.start = start;
      this.plan = new ImportRecords(options.mode(), partitions, target, digest, this::send);
    }

    void write(Path file, long transactionTimeoutMs) throws IOException {
      Map<String, Object> props = Applications.clientProps(config);
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kstatefun-state-import-" + app);
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeoutMs);
      props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
      props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
      props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
      props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.producerMaxRequestSize());
      props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
      producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
      try {
        producer.initTransactions();
        producer.beginTransaction();
        plan.prepareTarget();
        try (StateFileReader reader = StateFileReader.open(file)) {
          StateFileEntry e;
          while ((e = reader.next()) != null) {
            if (e.hasAddress()) {
              plan.address(e.getAddress());
            } else {
              plan.timer(e.getTimer());
            }
            if (plan.entries() >= nextProgress) {
              nextProgress += PROGRESS_EVERY;
              options.progress().accept(progressLine());
            }
          }
        }
        plan.finish(System.currentTimeMillis());
        options.progress().accept(progressLine() + "; committing");
        producer.commitTransaction();
        failOnSendError();
      } catch (ProducerFencedException e) {
        producer.close(Duration.ZERO);
        throw new IllegalStateException(
            "another import into " + app + " started and fenced this one; nothing was written", e);
      } catch (IOException | RuntimeException e) {
        try {
          producer.abortTransaction();
        } catch (KafkaException abortFailed) {
          e.addSuppressed(abortFailed);
        }
        producer.close(Duration.ofSeconds(5));
        if (e instanceof KafkaException) {
          throw new IllegalStateException(
              "import into "
                  + app
                  + " failed and its transaction was aborted (the old state is unchanged): "
                  + e.getMessage(),
              e);
        }
        throw e;
      }
      producer.close(Duration.ofSeconds(5));
    }

    private String progressLine() {
      return String.format(
          java.util.Locale.ROOT,
          "state import: %d addresses, %d timers written, %d skipped (%.0f s)",
          plan.addresses,
          plan.timers,
          plan.skipped,
          (System.nanoTime() - start) / 1e9);
    }

    private void send(boolean timerStore, int partition, byte[] key, byte[] value) {
      failOnSendError();
      String topic = timerStore ? timerTopic : stateTopic;
      producer.send(
          new ProducerRecord<>(topic, partition, key, value),
          (md, e) -> {
            if (e != null) {
              sendError.compareAndSet(
                  null,
                  new KafkaException(
                      "writing to " + topic + "-" + partition + " failed: " + e.getMessage(), e));
            }
          });
    }

    private void failOnSendError() {
      Exception e = sendError.get();
      if (e != null) {
        throw (KafkaException) e;
      }
    }

    ImportReport report(Duration elapsed) {
      return new ImportReport(
          app,
          plan.partitions,
          plan.addresses,
          plan.values,
          plan.timers,
          plan.expiryChecks,
          plan.skipped,
          plan.deleted,
          plan.records,
          false,
          elapsed);
    }
  }
}
