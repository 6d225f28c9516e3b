package io.kstatefun.runtime.internals.topology;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Which tasks of the calling stream thread may receive a message straight into their mailbox,
 * instead of through the loopback topic (docs/architecture.md, "Same-thread delivery").
 *
 * <p>Under {@code exactly_once_v2} all tasks of a stream thread share one producer and one
 * transaction, so a mailbox append made by another task's processing commits or aborts with the
 * sender's effects. A task is registered here by its processor's {@code init} and unregistered by
 * its {@code close}; Kafka Streams does both on the task's stream thread, during {@code poll()}, so
 * the set is stable while a task processes. Standby and restoring tasks never run their processor
 * and are never registered.
 *
 * <p>Order: a message that went through the loopback topic can be overtaken by a later direct one.
 * So per target partition this thread keeps a lane: every loopback record the thread sends to a
 * partition whose task is registered on it carries a header (thread token, generation, sequence
 * number); the lane is <em>caught up</em> once the target task has read the last one sent. Direct
 * delivery to a partition needs a caught-up lane. Whenever a task starts on the thread (assignment,
 * revival) the generation changes and every lane is dropped, so the first message to each partition
 * after that goes through the loopback topic again, behind everything written there before the task
 * started (earlier owners of a sender commit, or are fenced and aborted, before it starts here; a
 * read_committed consumer reads a partition in offset order).
 *
 * <p>Threading: the state is per stream thread ({@link ThreadLocal}); only that thread touches it.
 */
final class SameThreadDelivery {

  /** Header on loopback records sent while the target's task is on the sender's thread. */
  static final String HEADER = "kstatefun-same-thread";

  /** The lane state of one stream thread. */
  static final class Routes {
    private final long token = ThreadLocalRandom.current().nextLong();
    private long generation;
    private final Map<Integer, DispatchProcessor> tasks = new HashMap<>();
    private final Map<Integer, Lane> lanes = new HashMap<>();
  }

  private static final class Lane {
    long sent;
    boolean caughtUp;
  }

  private final boolean enabled;
  private final ThreadLocal<Routes> routes = ThreadLocal.withInitial(Routes::new);

  SameThreadDelivery(boolean enabled) {
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /** The calling stream thread's routes. */
  Routes thread() {
    return routes.get();
  }

  /** The task of {@code partition} started on the calling thread: a new generation. */
  void register(int partition, DispatchProcessor processor) {
    Routes r = routes.get();
    r.tasks.put(partition, processor);
    r.generation++;
    r.lanes.clear();
  }

  /** The task of {@code partition} closed on the calling thread. */
  void unregister(int partition, DispatchProcessor processor) {
    Routes r = routes.get();
    if (r.tasks.remove(partition, processor)) {
      r.lanes.remove(partition);
    }
  }

  /**
   * The processor to deliver a message for {@code partition} to directly, or null: the partition's
   * task runs on the calling thread, can take a message now, and its lane is caught up.
   */
  DispatchProcessor target(int partition) {
    if (!enabled) {
      return null;
    }
    if (!caughtUp(partition)) {
      return null;
    }
    DispatchProcessor p = routes.get().tasks.get(partition);
    return p != null && p.acceptsSameThread() ? p : null;
  }

  /**
   * Whether the task of {@code partition} runs on the calling thread and has read every loopback
   * record the thread sent it since a task last started on the thread (at least one).
   */
  boolean caughtUp(int partition) {
    Routes r = routes.get();
    Lane lane = r.lanes.get(partition);
    return enabled && lane != null && lane.caughtUp && r.tasks.containsKey(partition);
  }

  /**
   * Headers for a loopback record to {@code partition}: the lane header when the partition's task
   * runs on the calling thread (its lane is then not caught up until the target reads it), else
   * null.
   */
  Headers loopbackHeaders(int partition) {
    if (!enabled) {
      return null;
    }
    Routes r = routes.get();
    if (!r.tasks.containsKey(partition)) {
      return null;
    }
    Lane lane = r.lanes.computeIfAbsent(partition, p -> new Lane());
    lane.sent++;
    lane.caughtUp = false;
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        HEADER,
        ByteBuffer.allocate(24).putLong(r.token).putLong(r.generation).putLong(lane.sent).array());
    return headers;
  }

  /**
   * The task of {@code partition}, on the calling thread, read a loopback record with these
   * headers: catches its lane up when it is the last record this thread sent it in this generation.
   */
  void onLoopbackRead(int partition, Headers headers) {
    if (!enabled || headers == null) {
      return;
    }
    Header h = headers.lastHeader(HEADER);
    if (h == null || h.value() == null || h.value().length != 24) {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(h.value());
    long token = b.getLong();
    long generation = b.getLong();
    long seq = b.getLong();
    Routes r = routes.get();
    if (token != r.token || generation != r.generation) {
      return; // another thread's, or sent before a task started here
    }
    Lane lane = r.lanes.get(partition);
    if (lane != null && seq == lane.sent) {
      lane.caughtUp = true;
    }
  }
}
