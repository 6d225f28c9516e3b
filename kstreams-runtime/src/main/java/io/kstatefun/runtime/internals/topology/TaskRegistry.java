package io.kstatefun.runtime.internals.topology;

import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dispatchers of the tasks this instance runs right now, for status and metrics.
 *
 * <p>Threading: stream threads register and unregister; any thread may read a snapshot. Values read
 * from another thread are approximate (a dispatcher is owned by its stream thread).
 */
public final class TaskRegistry {

  private final ConcurrentHashMap<Integer, Dispatcher> tasks = new ConcurrentHashMap<>();

  void register(int partition, Dispatcher dispatcher) {
    tasks.put(partition, dispatcher);
  }

  void unregister(int partition, Dispatcher dispatcher) {
    tasks.remove(partition, dispatcher);
  }

  /**
   * The dispatcher of the active task of {@code partition} on this instance, or null. A task
   * registers once its stores are restored and unregisters when it closes.
   */
  public Dispatcher dispatcher(int partition) {
    return tasks.get(partition);
  }

  /** Partition -> number of addresses with a call in flight. */
  public Map<Integer, Integer> inFlightByPartition() {
    Map<Integer, Integer> out = new TreeMap<>();
    tasks.forEach((p, d) -> out.put(p, d.inFlightCount()));
    return out;
  }

  /** Pending timers (delayed messages and state expiry checks) of the tasks on this instance. */
  public long pendingTimersTotal() {
    long total = 0;
    for (Dispatcher d : tasks.values()) {
      total += d.pendingTimers();
    }
    return total;
  }

  /** The partitions of the tasks this instance runs now. */
  public java.util.Set<Integer> partitions() {
    return new java.util.TreeSet<>(tasks.keySet());
  }

  /** Partition -> pending timers. */
  public Map<Integer, Long> pendingTimersByPartition() {
    Map<Integer, Long> out = new TreeMap<>();
    tasks.forEach((p, d) -> out.put(p, d.pendingTimers()));
    return out;
  }

  /** Addresses waiting for an in-flight slot, over the tasks on this instance. */
  public long waitingAddressesTotal() {
    long total = 0;
    for (Dispatcher d : tasks.values()) {
      total += d.waitingAddresses();
    }
    return total;
  }

  public int inFlightTotal() {
    int total = 0;
    for (Dispatcher d : tasks.values()) {
      total += d.inFlightCount();
    }
    return total;
  }
}
