package io.kstatefun.runtime.internals.topology;

/**
 * Paces the commits that tasks request because they have output pending ({@code
 * kstatefun.commit.on.output}), per stream thread.
 *
 * <p>Kafka Streams commits every task of a thread together, at the end of each pass over its tasks,
 * whenever one of them requested it, and then halves how many records it processes per task before
 * the next check. Requesting a commit for every output therefore degenerates under load into a
 * transaction per record and task. With a minimum interval, output produced within it after the
 * thread's last requested commit waits until the interval has passed and joins what is processed
 * meanwhile, so transactions carry batches under load while a quiet thread still commits at once.
 * One task per thread arranges a wake-up for the deferred commit.
 *
 * <p>The interval adapts to the thread's load: while it processed at most {@code lightMaxRecords}
 * records (input and doorbell records alike) since its last requested commit, the shorter {@code
 * lightIntervalMs} applies, so that output at low rates waits a few milliseconds rather than the
 * full interval; with more records the thread is busy, and {@code minIntervalMs} lets transactions
 * carry batches. The signal corrects itself: a thread that falls behind processes more records
 * between requests and moves to the longer interval.
 *
 * <p>Threading: shared by all stream threads; {@link Thread} state is kept per thread, and each
 * method is called by the stream thread it concerns.
 */
final class CommitPacer {

  /** The pacing state of one stream thread. */
  static final class ThreadState {
    private long lastRequestMs = Long.MIN_VALUE / 2;
    private long commits;
    private boolean wakeArranged;
    private long records;
  }

  private final long minIntervalMs;
  private final long lightIntervalMs;
  private final long lightMaxRecords;
  private final ThreadLocal<ThreadState> state = ThreadLocal.withInitial(ThreadState::new);

  /** A fixed interval: {@code minIntervalMs} whatever the load. */
  CommitPacer(long minIntervalMs) {
    this(minIntervalMs, minIntervalMs, 0);
  }

  /**
   * @param minIntervalMs the interval under load
   * @param lightIntervalMs the interval while the thread processed few records since its last
   *     requested commit (at most {@code minIntervalMs})
   * @param lightMaxRecords how many records since the last requested commit still count as light
   *     load
   */
  CommitPacer(long minIntervalMs, long lightIntervalMs, long lightMaxRecords) {
    this.minIntervalMs = minIntervalMs;
    this.lightIntervalMs = Math.min(lightIntervalMs, minIntervalMs);
    this.lightMaxRecords = lightMaxRecords;
  }

  /** The calling stream thread processed a record (any input, doorbell records included). */
  void recordProcessed(ThreadState t) {
    t.records++;
  }

  /** The interval that applies to the thread now. */
  long interval(ThreadState t) {
    return t.records <= lightMaxRecords ? lightIntervalMs : minIntervalMs;
  }

  /** The calling stream thread's state. */
  ThreadState thread() {
    return state.get();
  }

  /** The number of commits the thread requested so far: output noted before it is covered. */
  long epoch(ThreadState t) {
    return t.commits;
  }

  /**
   * Whether output noted at {@code epoch} still needs a commit request: false once the thread
   * requested a commit after it (the thread's commit covers every task's output).
   */
  boolean stillPending(ThreadState t, long epoch) {
    return t.commits == epoch;
  }

  /**
   * Tries to request a commit at {@code nowMs}: returns 0 (and counts the request) if allowed,
   * otherwise the milliseconds left.
   */
  long tryRequest(ThreadState t, long nowMs) {
    long wait = t.lastRequestMs + interval(t) - nowMs;
    if (wait <= 0) {
      t.lastRequestMs = nowMs;
      t.records = 0;
      t.commits++;
      t.wakeArranged = false;
      return 0;
    }
    return wait;
  }

  /** A task that arranged the wake-up closed before it rang: another one may arrange it. */
  void wakeCancelled(ThreadState t) {
    t.wakeArranged = false;
  }

  /** True if the caller should arrange the wake-up for the deferred commit (once per thread). */
  boolean arrangeWake(ThreadState t) {
    if (t.wakeArranged) {
      return false;
    }
    t.wakeArranged = true;
    return true;
  }
}
