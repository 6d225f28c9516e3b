package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.dispatch.CorruptStoreRecordException;
import io.kstatefun.runtime.internals.dispatch.DispatchStores;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link DispatchStores} on the task's changelogged RocksDB stores (see {@link StoreKeys} for the
 * layout). Writes join the task's current Kafka transaction through the changelog.
 *
 * <p>Threading: owned by the task's stream thread.
 */
final class KafkaDispatchStores implements DispatchStores {

  private static final ByteArraySerializer PREFIX = new ByteArraySerializer();

  private final KeyValueStore<Bytes, byte[]> mailbox;
  private final KeyValueStore<Bytes, byte[]> state;
  private final KeyValueStore<Bytes, byte[]> timers;
  private long timerCount = -1;
  private long timerSeq = -1;
  private long earliestDue = -1; // -1 = unknown

  /**
   * The last address encoded as a key and its encoding ({@link StoreKeys#address}): one event reads
   * and writes the header, entries and state of the same address several times. The array is shared
   * by the keys built from it and never changed.
   */
  private Address keyedAddress;

  private byte[] addressKey;

  KafkaDispatchStores(
      KeyValueStore<Bytes, byte[]> mailbox,
      KeyValueStore<Bytes, byte[]> state,
      KeyValueStore<Bytes, byte[]> timers) {
    this.mailbox = mailbox;
    this.state = state;
    this.timers = timers;
  }

  private byte[] addressKey(Address address) {
    if (address != keyedAddress && !address.equals(keyedAddress)) {
      addressKey = StoreKeys.address(address);
      keyedAddress = address;
    }
    return addressKey;
  }

  @Override
  public MailboxHeader header(Address address) {
    byte[] v = mailbox.get(Bytes.wrap(StoreKeys.header(addressKey(address))));
    if (v == null) {
      return null;
    }
    try {
      return MailboxHeader.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw CorruptStoreRecordException.header(address, v, e);
    }
  }

  @Override
  public void putHeader(Address address, MailboxHeader header) {
    mailbox.put(Bytes.wrap(StoreKeys.header(addressKey(address))), header.toByteArray());
  }

  @Override
  public void deleteHeader(Address address) {
    mailbox.delete(Bytes.wrap(StoreKeys.header(addressKey(address))));
  }

  @Override
  public List<Address> mailboxes(Address after, int max) {
    // Header keys are 0x01 + address; every entry key (0x02 ...) sorts after the bound {0x02}.
    byte[] from =
        after == null
            ? new byte[] {StoreKeys.HEADER}
            : java.util.Arrays.copyOf(StoreKeys.header(after), StoreKeys.header(after).length + 1);
    List<Address> out = new ArrayList<>(Math.min(max, 1024));
    try (KeyValueIterator<Bytes, byte[]> it =
        mailbox.range(Bytes.wrap(from), Bytes.wrap(new byte[] {StoreKeys.ENTRY}))) {
      while (it.hasNext() && out.size() < max) {
        KeyValue<Bytes, byte[]> kv = it.next();
        if (kv.key.get().length > 0 && kv.key.get()[0] == StoreKeys.HEADER) {
          out.add(StoreKeys.decodeAddress(kv.key.get(), 1));
        }
      }
    }
    return out;
  }

  @Override
  public Envelope entry(Address address, long seq) {
    byte[] v = mailbox.get(Bytes.wrap(StoreKeys.entry(addressKey(address), seq)));
    if (v == null) {
      return null;
    }
    try {
      return Envelope.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw CorruptStoreRecordException.entry(address, seq, v, e);
    }
  }

  @Override
  public MailboxHeader headerFromEntries(Address address) {
    Bytes first = Bytes.wrap(StoreKeys.entry(addressKey(address), 0));
    Bytes last = Bytes.wrap(StoreKeys.entry(addressKey(address), Long.MAX_VALUE));
    long head;
    long next;
    try (KeyValueIterator<Bytes, byte[]> it = mailbox.range(first, last)) {
      if (!it.hasNext()) {
        return null;
      }
      head = seqOf(it.peekNextKey());
    }
    try (KeyValueIterator<Bytes, byte[]> it = mailbox.reverseRange(first, last)) {
      next = seqOf(it.peekNextKey()) + 1;
    }
    return MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(next).build();
  }

  private static long seqOf(Bytes entryKey) {
    byte[] k = entryKey.get();
    return ByteBuffer.wrap(k, k.length - 8, 8).getLong();
  }

  @Override
  public void putEntry(Address address, long seq, Envelope envelope) {
    mailbox.put(Bytes.wrap(StoreKeys.entry(addressKey(address), seq)), envelope.toByteArray());
  }

  @Override
  public void deleteEntry(Address address, long seq) {
    mailbox.delete(Bytes.wrap(StoreKeys.entry(addressKey(address), seq)));
  }

  @Override
  public long stateBytes(Address address) {
    byte[] v = state.get(Bytes.wrap(addressKey(address)));
    return v == null ? 0 : v.length;
  }

  @Override
  public StoredState state(Address address) {
    byte[] v = state.get(Bytes.wrap(addressKey(address)));
    if (v == null) {
      return null;
    }
    try {
      return StoredState.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw CorruptStoreRecordException.state(address, v, e);
    }
  }

  @Override
  public void putState(Address address, StoredState value) {
    state.put(Bytes.wrap(addressKey(address)), value.toByteArray());
  }

  @Override
  public void deleteState(Address address) {
    state.delete(Bytes.wrap(addressKey(address)));
  }

  @Override
  public void putTimer(PendingTimer timer) {
    timers.put(Bytes.wrap(StoreKeys.timer(timer.getDueMs(), timer.getSeq())), timer.toByteArray());
    setTimerCount(timerCount() + 1);
    if (earliestDue != -1 && timer.getDueMs() < earliestDue) {
      earliestDue = timer.getDueMs();
    }
  }

  @Override
  public void deleteTimer(PendingTimer timer) {
    Bytes key = Bytes.wrap(StoreKeys.timer(timer.getDueMs(), timer.getSeq()));
    if (timers.delete(key) != null) {
      setTimerCount(timerCount() - 1);
      if (timer.getDueMs() <= earliestDue) {
        earliestDue = -1;
      }
    }
  }

  @Override
  public List<PendingTimer> dueTimers(long nowMs, int max) {
    if (earliestTimerDue() > nowMs) {
      return List.of();
    }
    List<PendingTimer> due = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        timers.prefixScan(new byte[] {StoreKeys.TIMER}, PREFIX)) {
      while (it.hasNext() && due.size() < max) {
        KeyValue<Bytes, byte[]> kv = it.next();
        long dueMs = ByteBuffer.wrap(kv.key.get(), 1, 8).getLong();
        if (dueMs > nowMs) {
          break;
        }
        try {
          due.add(PendingTimer.parseFrom(kv.value));
        } catch (InvalidProtocolBufferException e) {
          throw CorruptStoreRecordException.timer(
              dueMs, ByteBuffer.wrap(kv.key.get(), 9, 8).getLong(), kv.value, e);
        }
      }
    }
    return due;
  }

  @Override
  public PendingTimer timerByToken(Address sender, String token) {
    byte[] v = timers.get(Bytes.wrap(StoreKeys.token(sender, token)));
    if (v == null) {
      return null;
    }
    try {
      return PendingTimer.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw CorruptStoreRecordException.token(sender, token, v, e);
    }
  }

  @Override
  public void putTimerToken(Address sender, String token, PendingTimer timer) {
    timers.put(Bytes.wrap(StoreKeys.token(sender, token)), timer.toByteArray());
  }

  @Override
  public void deleteTimerToken(Address sender, String token) {
    timers.delete(Bytes.wrap(StoreKeys.token(sender, token)));
  }

  @Override
  public long timerCount() {
    if (timerCount < 0) {
      timerCount = readLong(StoreKeys.TIMER_COUNT);
    }
    return timerCount;
  }

  @Override
  public long nextTimerSeq() {
    if (timerSeq < 0) {
      timerSeq = readLong(StoreKeys.TIMER_SEQ);
    }
    timerSeq++;
    timers.put(Bytes.wrap(StoreKeys.TIMER_SEQ), ByteBuffer.allocate(8).putLong(timerSeq).array());
    return timerSeq;
  }

  @Override
  public long earliestTimerDue() {
    if (earliestDue == -1) {
      earliestDue = Long.MAX_VALUE;
      try (KeyValueIterator<Bytes, byte[]> it =
          timers.prefixScan(new byte[] {StoreKeys.TIMER}, PREFIX)) {
        if (it.hasNext()) {
          earliestDue = ByteBuffer.wrap(it.next().key.get(), 1, 8).getLong();
        }
      }
    }
    return earliestDue;
  }

  private void setTimerCount(long count) {
    timerCount = Math.max(0, count);
    timers.put(
        Bytes.wrap(StoreKeys.TIMER_COUNT), ByteBuffer.allocate(8).putLong(timerCount).array());
  }

  /**
   * Reads a counter of the timer store. These belong to no address: a damaged one fails the task
   * (and the crash-loop guard reports it when it keeps failing).
   */
  private long readLong(byte[] key) {
    byte[] v = timers.get(Bytes.wrap(key));
    if (v == null) {
      return 0;
    }
    if (v.length != 8) {
      throw new IllegalStateException(
          "corrupt record in the timer store: the "
              + (key[1] == 'c' ? "pending timer count" : "timer sequence")
              + " has "
              + v.length
              + " bytes instead of 8");
    }
    return ByteBuffer.wrap(v).getLong();
  }
}
