package io.kstatefun.sdk;

import java.time.Duration;
import java.util.Objects;

/**
 * When the runtime may drop a stored value (time to live). An expired value is simply absent the
 * next time the function is invoked.
 */
public final class Expiration {

  /** What resets the time to live. */
  public enum Mode {
    /** The value never expires. */
    NONE,
    /** The value expires a fixed time after it was last written. */
    AFTER_WRITE,
    /** The value expires a fixed time after the address was last invoked (read or written). */
    AFTER_CALL
  }

  private static final Expiration NEVER = new Expiration(Mode.NONE, Duration.ZERO);

  private final Mode mode;
  private final Duration duration;

  private Expiration(Mode mode, Duration duration) {
    this.mode = mode;
    this.duration = duration;
  }

  /** No expiration. */
  public static Expiration none() {
    return NEVER;
  }

  /** Expire {@code duration} after the last write. */
  public static Expiration afterWrite(Duration duration) {
    return new Expiration(Mode.AFTER_WRITE, positive(duration));
  }

  /** Expire {@code duration} after the last invocation of the address. */
  public static Expiration afterCall(Duration duration) {
    return new Expiration(Mode.AFTER_CALL, positive(duration));
  }

  /** The mode. */
  public Mode mode() {
    return mode;
  }

  /** The time to live; zero for {@link Mode#NONE}. */
  public Duration duration() {
    return duration;
  }

  private static Duration positive(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("An expiration must be positive, got " + duration);
    }
    return duration;
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Expiration other && mode == other.mode && duration.equals(other.duration));
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, duration);
  }

  @Override
  public String toString() {
    return mode == Mode.NONE ? "NONE" : mode + "(" + duration + ")";
  }
}
