package io.kstatefun.runtime.state;

import java.io.IOException;

/**
 * A state file that cannot be used: truncated (no trailer, or counts that do not match it), an
 * unknown format version, an entry out of place, or an invalid address. The message names the file
 * and the entry's position.
 */
public final class StateFileException extends IOException {

  public StateFileException(String message) {
    super(message);
  }

  public StateFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
