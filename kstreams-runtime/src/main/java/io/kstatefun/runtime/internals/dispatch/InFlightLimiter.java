package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.FunctionType;

/**
 * Bounds the number of concurrent requests per function endpoint, across the tasks of a runtime
 * instance (the {@code maxInFlight} endpoint extension). A {@link Dispatcher} takes a slot before
 * it sends a batch and gives it back when the batch's request is over (answered, failed, or
 * abandoned because the task closed).
 *
 * <p>When no slot is free, the batch is not built: its messages stay in the durable mailbox and the
 * address waits. The limiter remembers which partitions wait and wakes them (through {@link Waker})
 * when a slot frees up; a woken dispatcher tries again in {@link Dispatcher#onWake()}. Spurious
 * wake-ups are harmless.
 *
 * <p>Threading: shared by all stream threads of an instance; implementations are thread-safe.
 */
public interface InFlightLimiter {

  /** Wakes the stream thread of a partition's task. */
  @FunctionalInterface
  interface Waker {
    void wake(int partition);
  }

  /**
   * Takes a slot for a request to {@code type}'s endpoint.
   *
   * @param partition the task that asks; woken later if this returns false
   * @return whether a slot was taken
   */
  boolean tryAcquire(FunctionType type, int partition);

  /** Gives back a slot taken with {@link #tryAcquire}. */
  void release(FunctionType type);

  /** A limiter without limits. */
  InFlightLimiter UNLIMITED =
      new InFlightLimiter() {
        @Override
        public boolean tryAcquire(FunctionType type, int partition) {
          return true;
        }

        @Override
        public void release(FunctionType type) {}
      };
}
