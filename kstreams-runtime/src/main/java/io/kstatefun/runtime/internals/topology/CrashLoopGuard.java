package io.kstatefun.runtime.internals.topology;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.errors.StreamsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a stream thread that fails over and over on the same task. The runtime replaces a failed
 * stream thread, and its tasks restart from the last commit; a failure that is deterministic (a
 * store record nobody can read, a bug) then fails the replacement the same way, for ever. After
 * {@code maxFailures} failures of one task within {@code windowMs}, the task is <em>crash
 * looping</em>: one ERROR names it and the cause, {@link #crashLooping()} turns {@code
 * /health/live} to 503, and the metrics count it. It stops counting as crash looping once a whole
 * window passes without a failure of that task. Threads keep being replaced either way.
 *
 * <p>The task is the one Kafka Streams names in the failure (a {@link StreamsException} with a task
 * id, anywhere in the cause chain); failures that name none count together as {@link #NO_TASK}.
 *
 * <p>Threading: {@link #onFailure} runs on the failing stream thread; the readers on any thread
 * (admin endpoints, metrics). All methods are synchronized.
 */
public final class CrashLoopGuard {

  private static final Logger LOG = LoggerFactory.getLogger(CrashLoopGuard.class);

  /** The key of failures that name no task. */
  public static final String NO_TASK = "(no task)";

  private final int maxFailures;
  private final long windowMs;
  private final LongSupplier clock;

  /** Per task: the times of its failures within the window, oldest first. */
  private final Map<String, ArrayDeque<Long>> failures = new HashMap<>();

  /** Crash-looping tasks and what the ERROR said about them. */
  private final Map<String, String> looping = new TreeMap<>();

  private long failuresTotal;
  private long crashLoopsTotal;

  public CrashLoopGuard(int maxFailures, long windowMs, LongSupplier clock) {
    if (maxFailures < 1 || windowMs < 1) {
      throw new IllegalArgumentException(
          "maxFailures and windowMs must be positive: " + maxFailures + ", " + windowMs);
    }
    this.maxFailures = maxFailures;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** A stream thread failed with {@code error} and is about to be replaced: record and log it. */
  public synchronized void onFailure(Throwable error) {
    long now = clock.getAsLong();
    String task = taskOf(error);
    ArrayDeque<Long> times = failures.computeIfAbsent(task, t -> new ArrayDeque<>());
    times.addLast(now);
    prune(times, now);
    failuresTotal++;
    int count = times.size();
    if (looping.containsKey(task)) {
      LOG.warn(
          "Task {} failed again ({} failures within {} s, crash loop); replacing the stream thread: {}",
          task,
          count,
          windowMs / 1000,
          describe(rootCause(error)));
    } else if (count >= maxFailures) {
      String summary =
          "its stream thread failed "
              + count
              + " times within "
              + windowMs / 1000
              + " s: "
              + describe(rootCause(error));
      looping.put(task, summary);
      crashLoopsTotal++;
      LOG.error(
          "Task {} is in a crash loop: {}. Each replacement thread restores the task and fails the same "
              + "way, so its partitions make no progress; /health/live now answers 503. Fix or remove the "
              + "cause (see docs/failure-handling.md); the stream thread is replaced again.",
          task,
          summary,
          error);
    } else {
      LOG.error(
          "Stream thread failed on task {} (failure {} of {} within {} s before it counts as a crash loop); "
              + "replacing it (its tasks restart from the last commit)",
          task,
          count,
          maxFailures,
          windowMs / 1000,
          error);
    }
  }

  /** Whether some task is crash looping now. */
  public synchronized boolean crashLooping() {
    return !crashLoopingTasks().isEmpty();
  }

  /** The crash-looping tasks, each with what its ERROR said. */
  public synchronized Map<String, String> crashLoopingTasks() {
    long now = clock.getAsLong();
    for (Iterator<Map.Entry<String, String>> it = looping.entrySet().iterator(); it.hasNext(); ) {
      String task = it.next().getKey();
      ArrayDeque<Long> times = failures.get(task);
      prune(times, now);
      if (times.isEmpty()) {
        it.remove(); // a whole window without a failure
        failures.remove(task);
      }
    }
    return new TreeMap<>(looping);
  }

  /** Stream thread failures since start. */
  public synchronized long failuresTotal() {
    return failuresTotal;
  }

  /** How often a task was found crash looping since start. */
  public synchronized long crashLoopsTotal() {
    return crashLoopsTotal;
  }

  private void prune(ArrayDeque<Long> times, long now) {
    while (!times.isEmpty() && times.peekFirst() <= now - windowMs) {
      times.removeFirst();
    }
  }

  /**
   * The task a failure names: the first {@link StreamsException} with a task id in the cause chain.
   */
  static String taskOf(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StreamsException s && s.taskId().isPresent()) {
        return s.taskId().get().toString();
      }
    }
    return NO_TASK;
  }

  private static Throwable rootCause(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable t) {
    return t.getClass().getName() + ": " + t.getMessage();
  }
}
