package io.kstatefun.sdk;

import java.util.Optional;

/**
 * The persisted values of the invoked address. Reads see the writes made earlier in the same batch;
 * the changes are sent to the runtime with the batch's response.
 *
 * <p>Only values declared in the function's {@link StatefulFunctionSpec} can be accessed; using an
 * undeclared name, or a declared name with another type, throws {@link
 * IllegalStorageAccessException}.
 *
 * <p>Threading: implementations used by the SDK are safe to call from any thread while the
 * invocation is running, including from asynchronous continuations.
 */
public interface AddressScopedStorage {

  /** The current value, or empty when none is stored (or it was removed or expired). */
  <T> Optional<T> get(ValueSpec<T> spec);

  /**
   * Stores a value. The value is serialized immediately, so later changes to a mutable object are
   * not seen unless it is set again.
   *
   * @throws IllegalStorageAccessException if {@code value} is null (use {@link #remove})
   */
  <T> void set(ValueSpec<T> spec, T value);

  /** Removes the value. */
  <T> void remove(ValueSpec<T> spec);
}
