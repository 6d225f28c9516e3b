package io.kstatefun.sdk;

/**
 * Thrown to a function that accesses a value it did not declare, accesses a declared value with a
 * different type, or stores null.
 */
public final class IllegalStorageAccessException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The name of the state that was accessed. */
  private final String stateName;

  /** Creates the exception for the given state name. */
  public IllegalStorageAccessException(String stateName, String message) {
    super("State '" + stateName + "': " + message);
    this.stateName = stateName;
  }

  /** The name of the state that was accessed. */
  public String stateName() {
    return stateName;
  }
}
