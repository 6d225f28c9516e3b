package io.kstatefun.routing.module.internals;

import io.kstatefun.routing.module.ModuleConfigException;
import java.util.Objects;

/**
 * Where a component is declared, used to locate error messages and to record the origin of specs.
 * Not API.
 *
 * @param document the document name, usually the file name
 * @param documentIndex the 1-based index of the YAML document within the file
 * @param kind the component kind, or null before it is known
 * @param origin the human-readable origin recorded in specs
 */
public record SpecContext(String document, int documentIndex, String kind, String origin) {

  /** Validates the context. */
  public SpecContext {
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(origin, "origin");
  }

  /** Creates the context of one YAML document, before its kind is known. */
  public static SpecContext ofDocument(String document, int documentIndex) {
    return new SpecContext(document, documentIndex, null, document + ", document " + documentIndex);
  }

  /** Returns a copy with the given kind. */
  public SpecContext withKind(String newKind) {
    return new SpecContext(document, documentIndex, newKind, origin);
  }

  /** Returns a copy with the given origin. */
  public SpecContext withOrigin(String newOrigin) {
    return new SpecContext(document, documentIndex, kind, newOrigin);
  }

  /** Creates an error at a key path. */
  public ModuleConfigException error(String keyPath, String problem) {
    return error(keyPath, problem, null);
  }

  /** Creates an error at a key path, with a cause. */
  public ModuleConfigException error(String keyPath, String problem, Throwable cause) {
    return new ModuleConfigException(
        document,
        documentIndex,
        kind,
        keyPath == null || keyPath.isEmpty() ? null : keyPath,
        problem,
        cause);
  }
}
