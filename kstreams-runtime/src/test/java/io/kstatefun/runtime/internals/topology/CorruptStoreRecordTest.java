package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record of a task's stores that cannot be read (a damaged changelog record, restored into
 * RocksDB) must not fail the task: before, every read of it threw, the stream thread died, and its
 * replacement restored the same record and died again, for ever. Now the record is dead-lettered as
 * raw bytes and removed, the batch that needed it is dead-lettered, and every address, the damaged
 * one included, goes on. Runs the processor on real RocksDB stores.
 */
@Timeout(60)
class CorruptStoreRecordTest {

  /** Not a protobuf message of any type: field 13 with wire type 6, which does not exist. */
  static final byte[] GARBAGE = "not a protobuf".getBytes(StandardCharsets.UTF_8);

  private static final FunctionType TYPE = new FunctionType("example", "fn");
  private static final String APP = "corrupt-test";
  private static final String DLQ = APP + "-dead-letters";

  private final ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1);
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<ToFunction.InvocationBatchRequest> calls = new CopyOnWriteArrayList<>();
  private final List<KeyValueStore<Bytes, byte[]>> opened = new ArrayList<>();
  private MockProcessorContext<byte[], Object> context;
  private KeyValueStore<Bytes, byte[]> mailbox;
  private KeyValueStore<Bytes, byte[]> state;
  private KeyValueStore<Bytes, byte[]> timers;
  private KafkaDispatchStores stores;
  private DispatchProcessor processor;

  @BeforeEach
  void openStores(@TempDir Path dir) {
    context =
        new MockProcessorContext<>(
            new Properties(), new TaskId(0, 0), dir.resolve("state").toFile());
    mailbox = rocksDb(TopologyFactory.MAILBOX_STORE);
    state = rocksDb(TopologyFactory.STATE_STORE);
    timers = rocksDb(TopologyFactory.TIMER_STORE);
    stores = new KafkaDispatchStores(mailbox, state, timers);
  }

  @AfterEach
  void close() {
    if (processor != null) {
      processor.close();
    }
    alarms.shutdownNow();
    opened.forEach(KeyValueStore::close);
  }

  @Test
  void shouldDeadLetterTheBatchWithAnUnreadableMailboxEntryAndKeepServingEveryAddress()
      throws Exception {
    Address victim = new Address(TYPE, "victim");
    Address other = new Address(TYPE, "other");
    enqueue(victim, "v0", "v1", "v2");
    enqueue(other, "o0");
    overwrite(mailbox, StoreKeys.entry(victim, 1));

    start();

    assertThat(calls).extracting(c -> c.getTarget().getId()).containsExactly("other");
    List<Record<byte[], Object>> dead = deadLetters();
    assertThat(dead)
        .hasSize(3)
        .allSatisfy(
            r ->
                assertThat(header(r, DeadLetters.REASON))
                    .isEqualTo(DeadLetterReason.CORRUPT_STORE_RECORD.name()));
    Record<byte[], Object> raw = only(dead, DeadLetters.FORMAT_STORE);
    assertThat(((TopicRecord) raw.value()).value()).isEqualTo(GARBAGE);
    assertThat(((TopicRecord) raw.value()).topic()).isEqualTo(DLQ);
    assertThat(header(raw, DeadLetters.ADDRESS)).isEqualTo(victim.toString());
    assertThat(header(raw, DeadLetters.STORE)).isEqualTo(TopologyFactory.MAILBOX_STORE + " 0_0");
    assertThat(header(raw, DeadLetters.DETAIL)).contains("mailbox entry 1 of " + victim);
    assertThat(payloadsOf(dead)).containsExactly("v0", "v2");
    assertThat(stores.header(victim)).as("the victim's mailbox is empty").isNull();
    assertThat(mailboxRecords()).as("only the other address's header and entry").isEqualTo(2);

    // The damaged address goes on with the next message.
    loopback(victim, "v3");
    assertThat(calls)
        .extracting(c -> c.getTarget().getId() + ":" + payloads(c))
        .containsExactly("other:[o0]", "victim:[v3]");
  }

  @Test
  void shouldRebuildAnUnreadableMailboxHeaderFromTheEntriesAndLoseNoMessage() throws Exception {
    Address victim = new Address(TYPE, "victim");
    enqueue(victim, "v0", "v1");
    overwrite(mailbox, StoreKeys.header(victim));

    start();

    assertThat(calls)
        .extracting(c -> c.getTarget().getId() + ":" + payloads(c))
        .containsExactly("victim:[v0, v1]");
    List<Record<byte[], Object>> dead = deadLetters();
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0), DeadLetters.FORMAT)).isEqualTo(DeadLetters.FORMAT_STORE);
    assertThat(header(dead.get(0), DeadLetters.DETAIL)).contains("the mailbox header of " + victim);
    assertThat(stores.header(victim))
        .isEqualTo(MailboxHeader.newBuilder().setHeadSeq(0).setNextSeq(2).build());
  }

  @Test
  void shouldDeadLetterUnreadableStateWithTheBatchThatNeededItAndGoOnWithoutState()
      throws Exception {
    Address victim = new Address(TYPE, "victim");
    stores.putState(
        victim,
        StoredState.newBuilder()
            .addValues(
                StoredValue.newBuilder()
                    .setName("count")
                    .setTypename("io.statefun.types/int")
                    .setValue(ByteString.copyFromUtf8("x")))
            .build());
    overwrite(state, StoreKeys.address(victim));
    enqueue(victim, "v0");

    start();

    assertThat(calls).isEmpty();
    List<Record<byte[], Object>> dead = deadLetters();
    assertThat(header(only(dead, DeadLetters.FORMAT_STORE), DeadLetters.STORE))
        .startsWith(TopologyFactory.STATE_STORE);
    assertThat(payloadsOf(dead)).containsExactly("v0");
    assertThat(state.get(Bytes.wrap(StoreKeys.address(victim)))).isNull();

    loopback(victim, "v1");
    assertThat(calls)
        .extracting(c -> c.getTarget().getId() + ":" + payloads(c))
        .containsExactly("victim:[v1]");
  }

  @Test
  void shouldDropAnUnreadableTimerAndFireTheOthers() throws Exception {
    Address sender = new Address(TYPE, "sender");
    Address target = new Address(TYPE, "target");
    PendingTimer damaged = delayed(sender, target, "lost", now.get() - 2_000);
    PendingTimer good = delayed(sender, target, "fires", now.get() - 1_000);
    overwrite(timers, StoreKeys.timer(damaged.getDueMs(), damaged.getSeq()));

    start();

    assertThat(calls)
        .extracting(c -> c.getTarget().getId() + ":" + payloads(c))
        .containsExactly("target:[fires]");
    Record<byte[], Object> raw = only(deadLetters(), DeadLetters.FORMAT_STORE);
    assertThat(header(raw, DeadLetters.ADDRESS)).isNull();
    assertThat(header(raw, DeadLetters.DETAIL)).contains("timer due at " + damaged.getDueMs());
    assertThat(new KafkaDispatchStores(mailbox, state, timers).timerCount())
        .as("the stored count")
        .isZero();
    assertThat(timerRecords()).isZero();
    assertThat(good.getSeq()).isGreaterThan(damaged.getSeq());
  }

  @Test
  void shouldFailTheTaskNamingItWhenARecordThatBelongsToNoAddressCannotBeRead() throws Exception {
    // The pending timer count is the task's, not an address's: nothing to dead-letter, so the task
    // fails, naming itself for the crash-loop guard (Kafka Streams names no task for init()).
    timers.put(Bytes.wrap(StoreKeys.TIMER_COUNT), new byte[] {1, 2, 3});
    DispatchProcessor failing = new DispatchProcessor(services());

    assertThatThrownBy(() -> failing.init(context))
        .isInstanceOf(StreamsException.class)
        .hasMessageContaining("pending timer count")
        .satisfies(e -> assertThat(CrashLoopGuard.taskOf(e)).isEqualTo("0_0"));
  }

  // --- helpers -----------------------------------------------------------------------------------

  private void start() throws Exception {
    processor = new DispatchProcessor(services());
    processor.init(context);
    punctuate();
  }

  private void punctuate() {
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now.get());
  }

  /** Delivers a message for {@code target} through the loopback topic. */
  private void loopback(Address target, String payload) {
    context.setRecordMetadata(APP + "-loopback", 0, 100);
    processor.process(
        new Record<>(
            target.id().getBytes(StandardCharsets.UTF_8),
            message(target, null, payload).toByteArray(),
            now.get()));
  }

  private void enqueue(Address target, String... payloads) {
    for (int i = 0; i < payloads.length; i++) {
      stores.putEntry(target, i, message(target, null, payloads[i]));
    }
    stores.putHeader(
        target, MailboxHeader.newBuilder().setHeadSeq(0).setNextSeq(payloads.length).build());
  }

  private PendingTimer delayed(Address sender, Address target, String payload, long due) {
    PendingTimer timer =
        PendingTimer.newBuilder()
            .setEnvelope(message(target, sender, payload))
            .setDueMs(due)
            .setSeq(stores.nextTimerSeq())
            .build();
    stores.putTimer(timer);
    return timer;
  }

  /** Damages a stored record: its value becomes bytes that no reader can parse. */
  private static void overwrite(KeyValueStore<Bytes, byte[]> store, byte[] key) {
    assertThat(store.get(Bytes.wrap(key))).as("the record to damage exists").isNotNull();
    store.put(Bytes.wrap(key), GARBAGE);
  }

  private static Envelope message(Address target, Address caller, String payload) {
    Envelope.Builder e =
        Envelope.newBuilder()
            .setTarget(target.toProto())
            .setArgument(
                TypedValue.newBuilder()
                    .setTypename("example/payload")
                    .setHasValue(true)
                    .setValue(ByteString.copyFromUtf8(payload)));
    if (caller != null) {
      e.setCaller(caller.toProto());
    }
    return e.build();
  }

  private List<Record<byte[], Object>> deadLetters() {
    List<Record<byte[], Object>> out = new ArrayList<>();
    for (CapturedForward<? extends byte[], ?> f :
        context.forwarded(TopologyFactory.DEAD_LETTER_SINK)) {
      @SuppressWarnings("unchecked")
      Record<byte[], Object> r = (Record<byte[], Object>) f.record();
      out.add(r);
    }
    return out;
  }

  private static Record<byte[], Object> only(List<Record<byte[], Object>> records, String format) {
    List<Record<byte[], Object>> matching =
        records.stream().filter(r -> format.equals(header(r, DeadLetters.FORMAT))).toList();
    assertThat(matching).as("dead letters of format " + format).hasSize(1);
    return matching.get(0);
  }

  private static List<String> payloadsOf(List<Record<byte[], Object>> deadLetters)
      throws Exception {
    List<String> out = new ArrayList<>();
    for (Record<byte[], Object> r : deadLetters) {
      if (DeadLetters.FORMAT_ENVELOPE.equals(header(r, DeadLetters.FORMAT))) {
        out.add(
            Envelope.parseFrom(((TopicRecord) r.value()).value())
                .getArgument()
                .getValue()
                .toStringUtf8());
      }
    }
    return out;
  }

  private static String payloads(ToFunction.InvocationBatchRequest request) {
    return request.getInvocationsList().stream()
        .map(i -> i.getArgument().getValue().toStringUtf8())
        .toList()
        .toString();
  }

  private static String header(Record<byte[], Object> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private long mailboxRecords() {
    long n = 0;
    try (KeyValueIterator<Bytes, byte[]> it = mailbox.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private long timerRecords() {
    return TestServices.timerRecords(timers);
  }

  private KeyValueStore<Bytes, byte[]> rocksDb(String name) {
    KeyValueStore<Bytes, byte[]> store =
        TestServices.addStore(context, Stores.persistentKeyValueStore(name));
    opened.add(store);
    return store;
  }

  /**
   * One partition (every address is local); a function client that records calls and never answers.
   */
  private RuntimeServices services() {
    return TestServices.forApp(APP)
        .client(
            TestServices.answering(
                request -> {
                  calls.add(request.getInvocation());
                  return new CompletableFuture<>();
                }))
        .alarms(alarms)
        .clock(now::get)
        .build();
  }
}
