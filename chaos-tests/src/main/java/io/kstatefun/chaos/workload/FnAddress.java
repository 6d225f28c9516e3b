package io.kstatefun.chaos.workload;

import java.util.Objects;

/**
 * The address of a chaos function instance: which server implements it and its id. Written as
 * {@code <kind>/<id>}, e.g. {@code official/w3}; the StateFun function type is {@code
 * chaos/<kind>}.
 *
 * @param kind which function type (and so which function server) it is
 * @param id the instance id
 */
public record FnAddress(Kind kind, String id) implements Comparable<FnAddress> {

  /** The two function types, one per function server. */
  public enum Kind {
    /**
     * {@code chaos/official}: served by a server built with the official statefun-sdk-java 3.3.0.
     */
    OFFICIAL("official"),
    /** {@code chaos/ours}: served by a server built with kstatefun's SDK. */
    OURS("ours");

    private final String typeName;

    Kind(String typeName) {
      this.typeName = typeName;
    }

    /** The function type's name (its namespace is {@value ChaosMessage#NAMESPACE}). */
    public String typeName() {
      return typeName;
    }

    /** The kind of a function type name. */
    public static Kind ofTypeName(String name) {
      for (Kind k : values()) {
        if (k.typeName.equals(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException("not a chaos function type: " + name);
    }
  }

  public FnAddress {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (id.isEmpty() || id.contains("/")) {
      throw new IllegalArgumentException("bad id '" + id + "'");
    }
  }

  /** Parses the {@code <kind>/<id>} form. */
  public static FnAddress parse(String s) {
    int slash = s.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a chaos address: " + s);
    }
    return new FnAddress(Kind.ofTypeName(s.substring(0, slash)), s.substring(slash + 1));
  }

  @Override
  public String toString() {
    return kind.typeName() + "/" + id;
  }

  @Override
  public int compareTo(FnAddress o) {
    return toString().compareTo(o.toString());
  }
}
