package io.kstatefun.runtime.internals.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.internals.topology.StoreKeys;
import io.kstatefun.runtime.state.ImportOptions;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;

/**
 * Decides the changelog records of an import, entry by entry, exactly as the runtime would have
 * stored them (see {@link StoreKeys}):
 *
 * <ul>
 *   <li>an address's values: one {@code StoredState} record in the state store, on the partition of
 *       the address's id; values with an expiry time also get the address's one expiry check in the
 *       timer store, due at the earliest expiry, recorded in the state;
 *   <li>a delayed message: a {@code PendingTimer} in the timer store of the <em>sender's</em>
 *       partition (the caller; the target when there is none), keyed by due time and a sequence
 *       number continuing the partition's, plus a token index record when it has a cancellation
 *       token;
 *   <li>per partition whose timers changed: the pending timer count and the last sequence number;
 *       once per import: a marker with the file's SHA-256 on partition 0 of the timer store.
 * </ul>
 *
 * <p>{@link ImportOptions.Mode#REPLACE} first deletes every record of the target (but the meta
 * keys, which it rewrites); {@link ImportOptions.Mode#MERGE} skips a delayed message equal to a
 * pending one of the target, a token still pending for the same sender, and deletes the expiry
 * check of a state it replaces.
 *
 * <p>Not thread-safe: one import thread.
 */
final class ImportRecords {

  /** Receives the records, in order. A {@code null} value is a tombstone. */
  interface Sink {
    void send(boolean timerStore, int partition, byte[] key, byte[] value);
  }

  final int partitions;
  private final ImportOptions.Mode mode;
  private final ChangelogImport.Target target;
  private final byte[] digest;
  private final Sink sink;
  private final long[] count;
  private final long[] seq;
  private final boolean[] timersChanged;
  private final Map<ByteString, Integer> pendingTimers = new HashMap<>();
  private final Set<Bytes> tokens = new HashSet<>();
  long addresses;
  long values;
  long timers;
  long expiryChecks;
  long skipped;
  long deleted;
  long records;

  ImportRecords(
      ImportOptions.Mode mode,
      int partitions,
      ChangelogImport.Target target,
      byte[] digest,
      Sink sink) {
    this.mode = mode;
    this.partitions = partitions;
    this.target = target;
    this.digest = digest;
    this.sink = sink;
    this.count = new long[partitions];
    this.seq = new long[partitions];
    this.timersChanged = new boolean[partitions];
    for (int p = 0; p < partitions; p++) {
      count[p] = target.meta(p, StoreKeys.TIMER_COUNT);
      seq[p] = target.meta(p, StoreKeys.TIMER_SEQ);
    }
  }

  /** File entries handled so far. */
  long entries() {
    return addresses + timers + skipped;
  }

  /** REPLACE: deletes the target's records; MERGE: remembers its delayed messages and tokens. */
  void prepareTarget() {
    for (int p = 0; p < partitions; p++) {
      if (mode == ImportOptions.Mode.REPLACE) {
        for (Bytes k : target.state.get(p).keySet()) {
          send(false, p, k.get(), null);
          deleted++;
        }
        for (Bytes k : target.timers.get(p).keySet()) {
          byte[] key = k.get();
          if (Arrays.equals(key, StoreKeys.TIMER_COUNT)
              || Arrays.equals(key, StoreKeys.TIMER_SEQ)) {
            continue;
          }
          send(true, p, key, null);
          deleted++;
        }
        count[p] = 0;
        timersChanged[p] = true;
      } else {
        for (Map.Entry<Bytes, byte[]> kv : target.timers.get(p).entrySet()) {
          byte[] key = kv.getKey().get();
          if (key[0] == StoreKeys.TOKEN) {
            tokens.add(kv.getKey());
          } else if (key[0] == StoreKeys.TIMER) {
            PendingTimer t = parseTimer(p, kv.getValue());
            if (!t.hasExpiryCheck()) {
              pendingTimers.merge(identity(t), 1, Integer::sum);
            }
          }
        }
      }
    }
  }

  private static PendingTimer parseTimer(int p, byte[] value) {
    try {
      return PendingTimer.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "unreadable timer record in the target's timer changelog, partition "
              + p
              + ": "
              + e.getMessage(),
          e);
    }
  }

  void address(AddressState entry) {
    Address address = Address.fromProto(entry.getAddress());
    int p = AddressPartitioner.partition(address, partitions);
    byte[] key = StoreKeys.address(address);
    byte[] old = target.state.get(p).get(Bytes.wrap(key));
    if (mode == ImportOptions.Mode.MERGE) {
      deleteExpiryCheck(p, old);
    }
    addresses++;
    if (entry.getValuesCount() == 0) {
      if (mode == ImportOptions.Mode.MERGE && old != null) {
        send(false, p, key, null);
        deleted++;
      }
      return;
    }
    StoredState.Builder state = StoredState.newBuilder().addAllValues(entry.getValuesList());
    long earliest = Long.MAX_VALUE;
    for (StoredValue v : entry.getValuesList()) {
      if (v.getExpiresAtMs() > 0) {
        earliest = Math.min(earliest, v.getExpiresAtMs());
      }
    }
    if (earliest != Long.MAX_VALUE) {
      long s = ++seq[p];
      PendingTimer check =
          PendingTimer.newBuilder()
              .setDueMs(earliest)
              .setSeq(s)
              .setExpiryCheck(address.toProto())
              .build();
      send(true, p, StoreKeys.timer(earliest, s), check.toByteArray());
      count[p]++;
      timersChanged[p] = true;
      expiryChecks++;
      state.setExpiryCheckMs(earliest).setExpiryCheckSeq(s);
    }
    send(false, p, key, state.build().toByteArray());
    values += entry.getValuesCount();
  }

  /** MERGE: the target's expiry check of an address the file replaces goes with its state. */
  private void deleteExpiryCheck(int p, byte[] oldState) {
    if (oldState == null) {
      return;
    }
    StoredState old;
    try {
      old = StoredState.parseFrom(oldState);
    } catch (InvalidProtocolBufferException e) {
      return; // replaced by the file's state; the runtime ignores a check the state does not record
    }
    if (old.getExpiryCheckMs() != 0 && old.getExpiryCheckSeq() != 0) {
      Bytes k = Bytes.wrap(StoreKeys.timer(old.getExpiryCheckMs(), old.getExpiryCheckSeq()));
      if (target.timers.get(p).containsKey(k)) {
        send(true, p, k.get(), null);
        count[p] = Math.max(0, count[p] - 1);
        timersChanged[p] = true;
        deleted++;
      }
    }
  }

  void timer(TimerEntry entry) {
    Address sender =
        Address.fromProto(
            entry.getEnvelope().hasCaller()
                ? entry.getEnvelope().getCaller()
                : entry.getEnvelope().getTarget());
    int p = AddressPartitioner.partition(sender, partitions);
    PendingTimer timer =
        PendingTimer.newBuilder()
            .setEnvelope(entry.getEnvelope())
            .setDueMs(entry.getDueMs())
            .setCancellationToken(entry.getCancellationToken())
            .build();
    ByteString id = identity(timer);
    Integer pending = pendingTimers.get(id);
    if (pending != null) {
      // MERGE: the target holds this very delayed message already (count-aware: two equal
      // messages in the file and one in the target add one).
      if (pending == 1) {
        pendingTimers.remove(id);
      } else {
        pendingTimers.put(id, pending - 1);
      }
      skipped++;
      return;
    }
    Bytes tokenKey = null;
    if (!entry.getCancellationToken().isEmpty()) {
      tokenKey = Bytes.wrap(StoreKeys.token(sender, entry.getCancellationToken()));
      if (!tokens.add(tokenKey)) {
        skipped++; // the token is pending for this sender already: the runtime keeps the first
        return;
      }
    }
    timer = timer.toBuilder().setSeq(++seq[p]).build();
    byte[] value = timer.toByteArray();
    send(true, p, StoreKeys.timer(timer.getDueMs(), timer.getSeq()), value);
    if (tokenKey != null) {
      send(true, p, tokenKey.get(), value);
    }
    count[p]++;
    timersChanged[p] = true;
    timers++;
  }

  /** A delayed message's identity for the MERGE dedupe: everything but its sequence number. */
  private static ByteString identity(PendingTimer timer) {
    return timer.toBuilder().clearSeq().build().toByteString();
  }

  /** The meta keys of the partitions whose timers changed, and the import marker. */
  void finish(long nowMs) {
    for (int p = 0; p < partitions; p++) {
      if (timersChanged[p]) {
        send(true, p, StoreKeys.TIMER_COUNT, ByteBuffer.allocate(8).putLong(count[p]).array());
        send(true, p, StoreKeys.TIMER_SEQ, ByteBuffer.allocate(8).putLong(seq[p]).array());
      }
    }
    send(true, 0, StoreKeys.importMarker(digest), ByteBuffer.allocate(8).putLong(nowMs).array());
  }

  private void send(boolean timerStore, int partition, byte[] key, byte[] value) {
    sink.send(timerStore, partition, key, value);
    records++;
  }
}
