package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@link DispatchStores} in plain maps, for tests. "Durable" across Dispatcher instances. */
public final class InMemoryDispatchStores implements DispatchStores {

  /** Sorted by rendering, so paging through mailboxes is deterministic. */
  final TreeMap<Address, MailboxHeader> headers =
      new TreeMap<>(java.util.Comparator.comparing(Address::toString));

  final Map<String, Envelope> entries = new HashMap<>();
  final Map<Address, StoredState> states = new HashMap<>();
  final TreeMap<String, PendingTimer> timers = new TreeMap<>();
  final Map<String, PendingTimer> tokens = new HashMap<>();
  long seq;

  private static String entryKey(Address a, long seq) {
    return a + "#" + seq;
  }

  private static String timerKey(PendingTimer t) {
    return String.format("%020d-%020d", t.getDueMs(), t.getSeq());
  }

  @Override
  public MailboxHeader header(Address address) {
    return headers.get(address);
  }

  @Override
  public void putHeader(Address address, MailboxHeader header) {
    headers.put(address, header);
  }

  @Override
  public void deleteHeader(Address address) {
    headers.remove(address);
  }

  @Override
  public List<Address> mailboxes(Address after, int max) {
    List<Address> out = new ArrayList<>();
    for (Address a : after == null ? headers.keySet() : headers.tailMap(after, false).keySet()) {
      if (out.size() >= max) {
        break;
      }
      out.add(a);
    }
    return out;
  }

  @Override
  public Envelope entry(Address address, long seq) {
    return entries.get(entryKey(address, seq));
  }

  @Override
  public MailboxHeader headerFromEntries(Address address) {
    String prefix = address + "#";
    long head = Long.MAX_VALUE;
    long last = -1;
    for (String key : entries.keySet()) {
      if (key.startsWith(prefix)) {
        long seq = Long.parseLong(key.substring(prefix.length()));
        head = Math.min(head, seq);
        last = Math.max(last, seq);
      }
    }
    return last < 0
        ? null
        : MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(last + 1).build();
  }

  @Override
  public void putEntry(Address address, long seq, Envelope envelope) {
    entries.put(entryKey(address, seq), envelope);
  }

  @Override
  public void deleteEntry(Address address, long seq) {
    entries.remove(entryKey(address, seq));
  }

  @Override
  public StoredState state(Address address) {
    return states.get(address);
  }

  @Override
  public void putState(Address address, StoredState state) {
    states.put(address, state);
  }

  @Override
  public void deleteState(Address address) {
    states.remove(address);
  }

  @Override
  public void putTimer(PendingTimer timer) {
    timers.put(timerKey(timer), timer);
  }

  @Override
  public void deleteTimer(PendingTimer timer) {
    timers.remove(timerKey(timer));
  }

  @Override
  public List<PendingTimer> dueTimers(long nowMs, int max) {
    List<PendingTimer> out = new ArrayList<>();
    for (PendingTimer t : timers.values()) {
      if (t.getDueMs() > nowMs || out.size() >= max) {
        break;
      }
      out.add(t);
    }
    return out;
  }

  @Override
  public PendingTimer timerByToken(Address sender, String token) {
    return tokens.get(sender + "|" + token);
  }

  @Override
  public void putTimerToken(Address sender, String token, PendingTimer timer) {
    tokens.put(sender + "|" + token, timer);
  }

  @Override
  public void deleteTimerToken(Address sender, String token) {
    tokens.remove(sender + "|" + token);
  }

  @Override
  public long timerCount() {
    return timers.size();
  }

  @Override
  public long nextTimerSeq() {
    return ++seq;
  }

  @Override
  public long earliestTimerDue() {
    return timers.isEmpty() ? Long.MAX_VALUE : timers.firstEntry().getValue().getDueMs();
  }
}
