package io.kstatefun.routing;

import java.util.Objects;

/**
 * A type name of the form {@code <namespace>/<name>}, as used by StateFun for ingress and egress
 * identifiers, value types and component kinds.
 *
 * <p>Both parts are non-empty and neither contains a {@code /}, so the canonical string has exactly
 * one {@code /}. Instances are immutable.
 *
 * @param namespace the part before the {@code /}
 * @param name the part after the {@code /}
 */
public record TypeName(String namespace, String name) {

  /** Validates both parts. */
  public TypeName {
    requireValidPart(namespace, "namespace");
    requireValidPart(name, "name");
  }

  /**
   * Parses {@code <namespace>/<name>}.
   *
   * @param typeName the canonical string
   * @return the type name
   * @throws IllegalArgumentException if the string does not contain exactly one {@code /} or a part
   *     is empty
   */
  public static TypeName parse(String typeName) {
    String[] parts = splitTypeName(typeName, "type name");
    return new TypeName(parts[0], parts[1]);
  }

  /** Returns {@code namespace/name}. */
  @Override
  public String toString() {
    return namespace + "/" + name;
  }

  static String[] splitTypeName(String text, String what) {
    Objects.requireNonNull(text, what);
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      throw new IllegalArgumentException(
          "Invalid " + what + " '" + text + "': expected <namespace>/<name> with exactly one '/'");
    }
    String namespace = text.substring(0, slash);
    String name = text.substring(slash + 1);
    if (namespace.isEmpty() || name.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid "
              + what
              + " '"
              + text
              + "': expected <namespace>/<name> with a non-empty namespace and name");
    }
    return new String[] {namespace, name};
  }

  static void requireValidPart(String part, String what) {
    Objects.requireNonNull(part, what);
    if (part.isEmpty()) {
      throw new IllegalArgumentException("The " + what + " of a type name must not be empty");
    }
    if (part.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "The " + what + " of a type name must not contain '/': '" + part + "'");
    }
  }
}
