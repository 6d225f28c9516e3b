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
 * <p>Threading: shared by all stream threads; {@link Thread} state is kept per thread, and each
 * method is called by the stream thread it concerns.
 */
final class CommitPacer {

  /** The pacing state of one stream thread. */
  static final class ThreadState {
    private long lastRequestMs = Long.MIN_VALUE / 2;
    private long commits;
    private boolean wakeArranged;
  }

  private final long minIntervalMs;
  private final ThreadLocal<ThreadState> state = ThreadLocal.withInitial(ThreadState::new);

  CommitPacer(long minIntervalMs) {
    this.minIntervalMs = minIntervalMs;
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
    long wait = t.lastRequestMs + minIntervalMs - nowMs;
    if (wait <= 0) {
      t.lastRequestMs = nowMs;
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
