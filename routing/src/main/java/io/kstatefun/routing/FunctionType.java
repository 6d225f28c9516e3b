package io.kstatefun.routing;

/**
 * The type of a remote function: {@code <namespace>/<name>}, e.g. {@code com.example/greeter}.
 *
 * <p>Both parts are non-empty and free of {@code /}. A function type is always concrete; namespace
 * wildcards such as {@code com.example/*} are a property of endpoint bindings, not of function
 * types. Instances are immutable.
 *
 * @param namespace the namespace, e.g. {@code com.example}
 * @param name the name within the namespace, e.g. {@code greeter}; substituted for {@code
 *     {function.name}} in endpoint URL templates
 */
public record FunctionType(String namespace, String name) {

  /** Validates both parts. */
  public FunctionType {
    TypeName.requireValidPart(namespace, "namespace");
    TypeName.requireValidPart(name, "name");
  }

  /**
   * Parses {@code <namespace>/<name>}.
   *
   * @param functionType the canonical string
   * @return the function type
   * @throws IllegalArgumentException if the string does not contain exactly one {@code /} or a part
   *     is empty
   */
  public static FunctionType parse(String functionType) {
    String[] parts = TypeName.splitTypeName(functionType, "function type");
    return new FunctionType(parts[0], parts[1]);
  }

  /** Returns this function type as a generic {@link TypeName}. */
  public TypeName toTypeName() {
    return new TypeName(namespace, name);
  }

  /** Returns {@code namespace/name}. */
  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
