package io.kstatefun.routing.module;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A module configuration that cannot be used: a YAML syntax error, an unknown component kind, an
 * unknown key, a missing required key, a bad value, or a conflict between components.
 *
 * <p>The message is meant for the person who wrote the module file. It names the document (file
 * name and 1-based document index), the component kind, the key path (e.g. {@code
 * spec.transport.call}), the offending value and what was expected. The same parts are available
 * separately for tooling. Conflicts between components (e.g. two endpoints bound to the same
 * function type) name both components by their origin instead.
 */
public final class ModuleConfigException extends RuntimeException {

  private final String document;
  private final int documentIndex;
  private final String kind;
  private final String keyPath;
  private final String problem;

  /**
   * Creates an exception located in one document.
   *
   * @param document the document name, usually the file name; may be null if unknown
   * @param documentIndex the 1-based index of the YAML document in the file, or 0 if unknown
   * @param kind the component kind, e.g. {@code io.statefun.kafka.v1/ingress}; may be null
   * @param keyPath the path of the offending key, e.g. {@code spec.transport.call}; may be null
   * @param problem what is wrong and what was expected
   * @param cause the underlying error, may be null
   */
  public ModuleConfigException(
      String document,
      int documentIndex,
      String kind,
      String keyPath,
      String problem,
      Throwable cause) {
    super(format(document, documentIndex, kind, keyPath, problem), cause);
    this.document = document;
    this.documentIndex = documentIndex;
    this.kind = kind;
    this.keyPath = keyPath;
    this.problem = problem;
  }

  /**
   * Creates an exception that is not located in a single document, e.g. a conflict between two
   * components.
   *
   * @param problem what is wrong, naming the components involved
   */
  public ModuleConfigException(String problem) {
    this(null, 0, null, null, problem, null);
  }

  /** Returns the document name, if the error is located in one document. */
  public Optional<String> document() {
    return Optional.ofNullable(document);
  }

  /** Returns the 1-based index of the YAML document in its file, if known. */
  public OptionalInt documentIndex() {
    return documentIndex > 0 ? OptionalInt.of(documentIndex) : OptionalInt.empty();
  }

  /** Returns the component kind, if known. */
  public Optional<String> kind() {
    return Optional.ofNullable(kind);
  }

  /** Returns the path of the offending key, if the error concerns one key. */
  public Optional<String> keyPath() {
    return Optional.ofNullable(keyPath);
  }

  /** Returns the description of the problem, without the location. */
  public String problem() {
    return problem;
  }

  private static String format(
      String document, int documentIndex, String kind, String keyPath, String problem) {
    StringBuilder message = new StringBuilder("Invalid module configuration");
    if (document != null) {
      message.append(" in ").append(document);
      if (documentIndex > 0) {
        message.append(", document ").append(documentIndex);
      }
    }
    if (kind != null) {
      message.append(", kind ").append(kind);
    }
    message.append(": ");
    if (keyPath != null) {
      message.append(keyPath).append(": ");
    }
    return message.append(problem).toString();
  }
}
