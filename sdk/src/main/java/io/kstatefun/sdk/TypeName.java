package io.kstatefun.sdk;

import java.util.Objects;

/**
 * The name of a function type, an egress or a value type: a namespace and a name, written {@code
 * namespace/name} (for example {@code example/greeter} or {@code io.statefun.types/int}).
 *
 * <p>Neither part may be empty or contain a {@code '/'}, so a typename string has exactly one
 * slash, as the StateFun protocol expects.
 */
public final class TypeName {
  private final String namespace;
  private final String name;
  private final String canonical;

  private TypeName(String namespace, String name) {
    this.namespace = namespace;
    this.name = name;
    this.canonical = namespace + "/" + name;
  }

  /**
   * Creates a type name from its two parts.
   *
   * @throws IllegalArgumentException if a part is empty or contains {@code '/'}
   */
  public static TypeName of(String namespace, String name) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    if (namespace.isEmpty() || namespace.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "Invalid type name namespace '"
              + namespace
              + "': it must be non-empty and contain no '/'");
    }
    if (name.isEmpty() || name.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "Invalid type name '"
              + name
              + "' in namespace '"
              + namespace
              + "': it must be non-empty and contain no '/'");
    }
    return new TypeName(namespace, name);
  }

  /**
   * Parses {@code namespace/name}.
   *
   * @throws IllegalArgumentException if the string does not have exactly one {@code '/'} with a
   *     non-empty part on each side
   */
  public static TypeName parse(String typeName) {
    Objects.requireNonNull(typeName, "typeName");
    int slash = typeName.indexOf('/');
    if (slash <= 0 || slash == typeName.length() - 1 || typeName.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException(
          "Invalid type name '" + typeName + "': expected <namespace>/<name>");
    }
    return new TypeName(typeName.substring(0, slash), typeName.substring(slash + 1));
  }

  /** The namespace, the part before the slash. */
  public String namespace() {
    return namespace;
  }

  /** The name, the part after the slash. */
  public String name() {
    return name;
  }

  /** The canonical {@code namespace/name} form, as it appears on the wire. */
  public String asString() {
    return canonical;
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof TypeName other && canonical.equals(other.canonical));
  }

  @Override
  public int hashCode() {
    return canonical.hashCode();
  }

  @Override
  public String toString() {
    return canonical;
  }
}
