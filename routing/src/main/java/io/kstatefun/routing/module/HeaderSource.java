package io.kstatefun.routing.module;

import java.util.Objects;

/**
 * Where the value of a static HTTP request header comes from (the kstatefun {@code headers}
 * extension of endpoint specs). Sources are recorded, not resolved: the runtime reads the
 * environment variable or file when it builds its HTTP client, so secrets never pass through the
 * parser and never appear in logs of the parsed configuration.
 */
public sealed interface HeaderSource {

  /**
   * The value of an environment variable ({@code {env: VAR}}).
   *
   * @param variable the variable name
   */
  record FromEnv(String variable) implements HeaderSource {

    /** Validates the variable name. */
    public FromEnv {
      requireNonEmpty(variable, "variable");
    }
  }

  /**
   * The contents of a file, with surrounding whitespace trimmed by the runtime ({@code {file:
   * path}}).
   *
   * @param path the file path
   */
  record FromFile(String path) implements HeaderSource {

    /** Validates the path. */
    public FromFile {
      requireNonEmpty(path, "path");
    }
  }

  /**
   * A literal value written in the module file ({@code {value: literal}}). {@link #toString()} does
   * not reveal the value.
   *
   * @param value the header value
   */
  record Literal(String value) implements HeaderSource {

    /** Validates the value. */
    public Literal {
      Objects.requireNonNull(value, "value");
    }

    /** Returns a rendering that hides the value, which may be a credential. */
    @Override
    public String toString() {
      return "Literal[value=<redacted>]";
    }
  }

  private static void requireNonEmpty(String text, String what) {
    Objects.requireNonNull(text, what);
    if (text.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }
}
