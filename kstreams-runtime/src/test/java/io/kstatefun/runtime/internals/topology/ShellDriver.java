package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.proto.StoredState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The Kafka Streams shell — {@link TopologyFactory}'s topology with its {@link DispatchProcessor}
 * and its changelogged, cached RocksDB stores — under a {@link TopologyTestDriver}, with a {@link
 * ScriptedFunctionClient} and a test clock.
 *
 * <p>How the runtime maps onto the driver:
 *
 * <ul>
 *   <li>Partitions: the driver runs one task, {@code 0_0}, which reads partition 0 of every input.
 *       The runtime is told it has {@link #PARTITIONS} partitions, so the task owns the addresses
 *       whose id hashes to 0 ({@link #localId}) and routes the others through the loopback topic.
 *   <li>Loopback: the driver feeds every record written to a source topic straight back into the
 *       task, so a message for an address of another partition would circle forever. The loopback
 *       sink writes to {@link #LOOPBACK_OUT} instead, which tests read; a test that needs a
 *       loopback record delivered pipes it into {@link #LOOPBACK} itself, as the owning task would
 *       read it. The driver's producer reports one partition per topic, so the sink's partitioner
 *       cannot be observed through it: tests call {@link TopologyFactory#byAddressId()} with the
 *       real count.
 *   <li>Time: the services' clock and the driver's mock wall-clock both start at {@link #START};
 *       {@link #advance} moves both. Wall-clock punctuations (the safety-net timer check) run only
 *       then, never by themselves.
 *   <li>Doorbell and alarms: the services get no doorbell producer, so a ring does nothing. In the
 *       runtime a ring makes the stream thread process a record of the doorbell topic; {@link
 *       #ringDoorbell} pipes that record. Timer alarms are recorded, not run ({@link #alarms}): a
 *       test makes one go off when the clock has reached its time.
 *   <li>Commits: the driver commits after every record and punctuation by itself, so commit pacing
 *       is switched off ({@code kstatefun.commit.min.interval.ms=0}).
 * </ul>
 *
 * <p>Threading: the test thread is the stream thread; the scripted client answers on its own
 * thread.
 */
final class ShellDriver implements AutoCloseable {

  static final String APP = "shell";
  static final int PARTITIONS = 4;
  static final long START = 1_700_000_000_000L;
  static final String LOOPBACK = APP + "-loopback";
  static final String LOOPBACK_OUT = APP + "-loopback-observed";
  static final String DOORBELL = APP + "-doorbell";
  static final String DEAD_LETTERS = APP + "-dead-letters";

  final AtomicLong now = new AtomicLong(START);
  final ScriptedFunctionClient client = new ScriptedFunctionClient();
  final RecordingAlarms alarms = new RecordingAlarms(now);
  final RuntimeServices services;
  final TopologyTestDriver driver;
  private final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
  private final Map<String, TestOutputTopic<byte[], byte[]>> outputs = new HashMap<>();

  /**
   * Starts the driver for {@code moduleYaml}; {@code settings} override the defaults (kstatefun.*
   * and Kafka Streams settings).
   */
  ShellDriver(
      Path stateDir, String moduleYaml, Map<String, Object> settings, RuntimeListener listener) {
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(KStatefunConfig.COMMIT_MIN_INTERVAL_MS_CONFIG, 0L);
    props.putAll(settings);
    KStatefunConfig config = new KStatefunConfig(props);
    this.services =
        new RuntimeServices(
            config,
            ModuleParser.parse(moduleYaml, "module.yaml"),
            client,
            null,
            alarms,
            PARTITIONS,
            now::get,
            listener,
            topic -> true);
    Properties streamsProps = KStatefunConfig.streamsProperties(props);
    this.driver =
        new TopologyTestDriver(
            TopologyFactory.build(services, LOOPBACK_OUT),
            streamsProps,
            Instant.ofEpochMilli(START));
  }

  /** The {@code n}-th id (from 0) that this task owns, with a prefix. */
  static String localId(String prefix, int n) {
    return nthId(prefix, n, true);
  }

  /** The {@code n}-th id (from 0) that another partition owns, with a prefix. */
  static String remoteId(String prefix, int n) {
    return nthId(prefix, n, false);
  }

  private static String nthId(String prefix, int n, boolean local) {
    int found = 0;
    for (int i = 0; ; i++) {
      String id = prefix + i;
      if ((AddressPartitioner.partition(id, PARTITIONS) == 0) == local && found++ == n) {
        return id;
      }
    }
  }

  static Address address(String namespace, String type, String id) {
    return new Address(new FunctionType(namespace, type), id);
  }

  /** Processes a record of {@code topic} with the current time as its timestamp. */
  void pipe(String topic, byte[] key, byte[] value) {
    pipe(topic, key, value, null);
  }

  void pipe(String topic, byte[] key, byte[] value, Headers headers) {
    inputs
        .computeIfAbsent(
            topic,
            t -> driver.createInputTopic(t, new ByteArraySerializer(), new ByteArraySerializer()))
        .pipeInput(new TestRecord<>(key, value, headers, now.get()));
  }

  void pipe(String topic, String key, String value) {
    pipe(topic, utf8(key), utf8(value));
  }

  /** What a ring makes the stream thread do: process a (payload-free) doorbell record. */
  void ringDoorbell() {
    pipe(DOORBELL, null, new byte[0]);
  }

  /** Moves the services' clock and the driver's wall-clock; runs the punctuations that are due. */
  void advance(long ms) {
    now.addAndGet(ms);
    driver.advanceWallClockTime(Duration.ofMillis(ms));
  }

  /** The records written to {@code topic} since the last read. */
  List<TestRecord<byte[], byte[]>> read(String topic) {
    return outputs
        .computeIfAbsent(
            topic,
            t ->
                driver.createOutputTopic(
                    t, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
        .readRecordsToList();
  }

  /** The stored state of {@code address}, read from the state store; null when it has none. */
  StoredState storedState(Address address) throws Exception {
    KeyValueStore<Bytes, byte[]> state = driver.getKeyValueStore(TopologyFactory.STATE_STORE);
    byte[] bytes = state.get(Bytes.wrap(StoreKeys.address(address)));
    return bytes == null ? null : StoredState.parseFrom(bytes);
  }

  /** The task's stores as a (re)started task sees them. */
  KafkaDispatchStores stores() {
    return new KafkaDispatchStores(
        driver.getKeyValueStore(TopologyFactory.MAILBOX_STORE),
        driver.getKeyValueStore(TopologyFactory.STATE_STORE),
        driver.getKeyValueStore(TopologyFactory.TIMER_STORE));
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static String utf8(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static String header(TestRecord<byte[], byte[]> record, String key) {
    var h = record.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      driver.close();
    } finally {
      client.close();
      alarms.shutdownNow();
    }
  }

  /**
   * An executor that records what the shell schedules (timer alarms) and never runs it by itself:
   * {@link Alarm#goOff} runs it when the test says its time has come.
   */
  static final class RecordingAlarms extends ScheduledThreadPoolExecutor {

    /** One scheduled alarm: when it was armed (test clock), its delay, and its task. */
    record Alarm(long armedAt, long delayMs, Runnable task, ScheduledFuture<?> future) {
      long dueAt() {
        return armedAt + delayMs;
      }

      void goOff() {
        task.run();
      }
    }

    private final AtomicLong clock;
    private final List<Alarm> armed = new CopyOnWriteArrayList<>();

    RecordingAlarms(AtomicLong clock) {
      super(1);
      this.clock = clock;
      setRemoveOnCancelPolicy(true);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      // Parked for a day: only the test makes it go off, but cancelling it works as usual.
      ScheduledFuture<?> future = super.schedule(command, 1, TimeUnit.DAYS);
      armed.add(new Alarm(clock.get(), unit.toMillis(delay), command, future));
      return future;
    }

    /** The alarms armed and not cancelled, oldest first. */
    List<Alarm> pending() {
      List<Alarm> out = new ArrayList<>();
      for (Alarm a : armed) {
        if (!a.future().isCancelled()) {
          out.add(a);
        }
      }
      return out;
    }
  }
}
