package io.kstatefun.runtime.internals.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.internals.topology.StoreKeys;
import io.kstatefun.runtime.state.ImportOptions.Mode;
import io.kstatefun.runtime.state.StateFileException;
import io.kstatefun.runtime.state.StateFileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportRecordsTest {

  private static final int PARTITIONS = 8;
  private static final FunctionType COUNTER = new FunctionType("demo", "counter");
  private static final FunctionType GREETER = new FunctionType("demo", "greeter");
  private static final byte[] DIGEST = new byte[32];

  /** The store contents the records leave, per store and partition, as Kafka Streams restores. */
  private final List<Map<Bytes, byte[]>> state = new ArrayList<>();

  private final List<Map<Bytes, byte[]>> timers = new ArrayList<>();
  private final List<String> log = new ArrayList<>();

  ImportRecordsTest() {
    for (int p = 0; p < PARTITIONS; p++) {
      state.add(new HashMap<>());
      timers.add(new HashMap<>());
    }
  }

  private ImportRecords records(Mode mode, ChangelogImport.Target target) {
    return new ImportRecords(
        mode,
        PARTITIONS,
        target,
        DIGEST,
        (timerStore, p, key, value) -> {
          Map<Bytes, byte[]> store = (timerStore ? timers : state).get(p);
          log.add((timerStore ? "timers-" : "state-") + p + (value == null ? " delete" : " put"));
          if (value == null) {
            store.remove(Bytes.wrap(key));
          } else {
            store.put(Bytes.wrap(key), value);
          }
        });
  }

  /** A copy of what the records left: the target of a second import. */
  private ChangelogImport.Target asTarget() {
    List<Map<Bytes, byte[]>> s = new ArrayList<>();
    List<Map<Bytes, byte[]>> t = new ArrayList<>();
    state.forEach(m -> s.add(new HashMap<>(m)));
    timers.forEach(m -> t.add(new HashMap<>(m)));
    return new ChangelogImport.Target(s, t);
  }

  private static AddressState counter(String id, long count, long expiresAt) {
    return AddressState.newBuilder()
        .setAddress(new Address(COUNTER, id).toProto())
        .addValues(
            StoredValue.newBuilder()
                .setName("count")
                .setTypename("io.statefun.types/long")
                .setValue(ByteString.copyFromUtf8(Long.toString(count)))
                .setExpiresAtMs(expiresAt))
        .build();
  }

  private static TimerEntry delayed(String from, String to, long due, String token) {
    return TimerEntry.newBuilder()
        .setEnvelope(
            Envelope.newBuilder()
                .setTarget(new Address(GREETER, to).toProto())
                .setCaller(new Address(COUNTER, from).toProto()))
        .setDueMs(due)
        .setCancellationToken(token)
        .build();
  }

  private static long meta(Map<Bytes, byte[]> store, byte[] key) {
    byte[] v = store.get(Bytes.wrap(key));
    return v == null ? -1 : ByteBuffer.wrap(v).getLong();
  }

  private static int partition(String id) {
    return AddressPartitioner.partition(id, PARTITIONS);
  }

  @Test
  void shouldPutEachAddressOnThePartitionOfItsIdUnderTheRuntimesKey() throws Exception {
    ImportRecords r = records(Mode.EMPTY_TARGET, ChangelogImport.Target.empty(PARTITIONS));
    for (int i = 0; i < 100; i++) {
      r.address(counter("user-" + i, i, 0));
    }
    r.finish(1L);
    for (int i = 0; i < 100; i++) {
      Address a = new Address(COUNTER, "user-" + i);
      byte[] stored = state.get(partition(a.id())).get(Bytes.wrap(StoreKeys.address(a)));
      assertThat(stored).as("state of %s on partition %d", a, partition(a.id())).isNotNull();
      assertThat(StoredState.parseFrom(stored).getValues(0).getValue().toStringUtf8())
          .isEqualTo(Long.toString(i));
      assertThat(StoredState.parseFrom(stored).getExpiryCheckMs()).isZero();
    }
    assertThat(state.stream().mapToInt(Map::size).sum()).isEqualTo(100);
    assertThat(r.addresses).isEqualTo(100);
    assertThat(r.values).isEqualTo(100);
    // no timers: only the import marker, no meta keys
    assertThat(timers.get(0).keySet()).containsExactly(Bytes.wrap(StoreKeys.importMarker(DIGEST)));
  }

  @Test
  void shouldPutDelayedMessagesOnTheSendersPartitionWithTokenIndexAndCounts() throws Exception {
    ImportRecords r = records(Mode.EMPTY_TARGET, ChangelogImport.Target.empty(PARTITIONS));
    r.timer(delayed("alice", "bob", 5_000, ""));
    r.timer(delayed("alice", "carol", 6_000, "tok-1"));
    r.finish(1L);
    Map<Bytes, byte[]> store = timers.get(partition("alice"));
    byte[] first = store.get(Bytes.wrap(StoreKeys.timer(5_000, 1)));
    byte[] second = store.get(Bytes.wrap(StoreKeys.timer(6_000, 2)));
    assertThat(first).isNotNull();
    assertThat(PendingTimer.parseFrom(first).getEnvelope().getTarget().getId()).isEqualTo("bob");
    assertThat(PendingTimer.parseFrom(second).getCancellationToken()).isEqualTo("tok-1");
    assertThat(PendingTimer.parseFrom(second).getSeq()).isEqualTo(2);
    assertThat(store.get(Bytes.wrap(StoreKeys.token(new Address(COUNTER, "alice"), "tok-1"))))
        .isEqualTo(second);
    assertThat(meta(store, StoreKeys.TIMER_COUNT)).isEqualTo(2);
    assertThat(meta(store, StoreKeys.TIMER_SEQ)).isEqualTo(2);
    for (int p = 0; p < PARTITIONS; p++) {
      if (p != partition("alice")) {
        assertThat(meta(timers.get(p), StoreKeys.TIMER_COUNT)).as("partition %d", p).isEqualTo(-1);
      }
    }
  }

  @Test
  void shouldScheduleOneExpiryCheckAtTheEarliestExpiryAndRecordItInTheState() throws Exception {
    ImportRecords r = records(Mode.EMPTY_TARGET, ChangelogImport.Target.empty(PARTITIONS));
    AddressState two =
        counter("ttl", 1, 9_000).toBuilder()
            .addValues(StoredValue.newBuilder().setName("seen").setExpiresAtMs(7_000))
            .addValues(StoredValue.newBuilder().setName("forever"))
            .build();
    r.address(two);
    r.finish(1L);
    int p = partition("ttl");
    StoredState s =
        StoredState.parseFrom(
            state.get(p).get(Bytes.wrap(StoreKeys.address(new Address(COUNTER, "ttl")))));
    assertThat(s.getExpiryCheckMs()).isEqualTo(7_000);
    assertThat(s.getExpiryCheckSeq()).isEqualTo(1);
    PendingTimer check =
        PendingTimer.parseFrom(timers.get(p).get(Bytes.wrap(StoreKeys.timer(7_000, 1))));
    assertThat(check.getExpiryCheck().getId()).isEqualTo("ttl");
    assertThat(meta(timers.get(p), StoreKeys.TIMER_COUNT)).isEqualTo(1);
    assertThat(r.expiryChecks).isEqualTo(1);
  }

  @Test
  void shouldContinueTheTargetsTimerSequenceAndAddNoSecondCopyWhenMerging() throws Exception {
    ImportRecords first = records(Mode.EMPTY_TARGET, ChangelogImport.Target.empty(PARTITIONS));
    first.address(counter("alice", 1, 0));
    first.timer(delayed("alice", "bob", 5_000, ""));
    first.timer(delayed("alice", "bob", 5_000, "")); // two equal messages are two messages
    first.timer(delayed("alice", "carol", 6_000, "tok"));
    first.finish(1L);
    int p = partition("alice");
    assertThat(meta(timers.get(p), StoreKeys.TIMER_COUNT)).isEqualTo(3);

    ImportRecords merge = records(Mode.MERGE, asTarget());
    merge.prepareTarget();
    merge.address(counter("alice", 7, 0));
    merge.timer(delayed("alice", "bob", 5_000, ""));
    merge.timer(delayed("alice", "bob", 5_000, ""));
    merge.timer(delayed("alice", "bob", 5_000, "")); // a third copy is new
    merge.timer(delayed("alice", "dave", 8_000, "tok")); // token still pending: skipped
    merge.finish(2L);
    assertThat(merge.skipped).isEqualTo(3);
    assertThat(merge.timers).isEqualTo(1);
    assertThat(meta(timers.get(p), StoreKeys.TIMER_COUNT)).isEqualTo(4);
    assertThat(meta(timers.get(p), StoreKeys.TIMER_SEQ)).isEqualTo(4);
    assertThat(timers.get(p)).containsKey(Bytes.wrap(StoreKeys.timer(5_000, 4)));
    assertThat(
            StoredState.parseFrom(
                    state.get(p).get(Bytes.wrap(StoreKeys.address(new Address(COUNTER, "alice")))))
                .getValues(0)
                .getValue()
                .toStringUtf8())
        .isEqualTo("7");
  }

  @Test
  void shouldLeaveExactlyTheFilesRecordsWhenReplacing() throws Exception {
    ImportRecords first = records(Mode.EMPTY_TARGET, ChangelogImport.Target.empty(PARTITIONS));
    for (int i = 0; i < 20; i++) {
      first.address(counter("old-" + i, i, 10_000));
      first.timer(delayed("old-" + i, "x", 5_000, "t"));
    }
    first.finish(1L);

    ImportRecords replace = records(Mode.REPLACE, asTarget());
    replace.prepareTarget();
    replace.address(counter("new", 1, 0));
    replace.timer(delayed("new", "x", 5_000, "t"));
    replace.finish(2L);
    assertThat(state.stream().mapToInt(Map::size).sum()).isEqualTo(1);
    long timerKeys = 0;
    long count = 0;
    for (Map<Bytes, byte[]> m : timers) {
      timerKeys += m.keySet().stream().filter(k -> k.get()[0] != StoreKeys.META).count();
      count += Math.max(0, meta(m, StoreKeys.TIMER_COUNT));
    }
    assertThat(timerKeys).as("the new timer and its token").isEqualTo(2);
    assertThat(count).isEqualTo(1);
    assertThat(replace.deleted).isEqualTo(20 + 20 * 3 + 1); // states, timers+checks+tokens, marker
  }

  @Test
  void shouldRefuseADuplicateAddressAnInvalidOneAndATokenWithoutCaller(@TempDir Path dir)
      throws IOException {
    Path dup = dir.resolve("dup");
    try (StateFileWriter w = StateFileWriter.create(dup, "test", "t")) {
      w.address(counter("a", 1, 0));
      w.address(counter("b", 1, 0));
      w.address(counter("a", 2, 0));
    }
    assertThatThrownBy(() -> ChangelogImport.validate(dup))
        .isInstanceOf(StateFileException.class)
        .hasMessageContaining("demo/counter/a appears twice");

    Path invalid = dir.resolve("invalid");
    try (StateFileWriter w = StateFileWriter.create(invalid, "test", "t")) {
      w.address(
          counter("a", 1, 0).toBuilder()
              .setAddress(io.kstatefun.protocol.Address.newBuilder().setId("no-type"))
              .build());
    }
    assertThatThrownBy(() -> ChangelogImport.validate(invalid))
        .isInstanceOf(StateFileException.class)
        .hasMessageContaining("entry 1 has an invalid address");

    Path token = dir.resolve("token");
    try (StateFileWriter w = StateFileWriter.create(token, "test", "t")) {
      TimerEntry t = delayed("a", "b", 1, "tok");
      w.timer(t.toBuilder().setEnvelope(t.getEnvelope().toBuilder().clearCaller()).build());
    }
    assertThatThrownBy(() -> ChangelogImport.validate(token))
        .isInstanceOf(StateFileException.class)
        .hasMessageContaining("no caller");

    Path fine = dir.resolve("fine");
    try (StateFileWriter w = StateFileWriter.create(fine, "test", "t")) {
      w.address(counter("a", 1, 0));
      w.timer(delayed("a", "b", 1, "tok"));
    }
    assertThat(ChangelogImport.validate(fine)).hasSize(32);
  }
}
