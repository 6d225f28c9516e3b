package io.kstatefun.routing.module;

import io.kstatefun.routing.FunctionType;
import java.util.Objects;

/**
 * The functions an HTTP endpoint serves: one exact function type ({@code com.example/greeter}) or
 * every function type of a namespace ({@code com.example/*}).
 */
public sealed interface FunctionTarget {

  /**
   * The namespace of the caller addresses the runtime gives HTTP API calls ({@code
   * kstatefun.api/call-<invocation>/<id>}). No endpoint may serve it: a message to it is an answer
   * to a call, not a function invocation.
   */
  String RESERVED_NAMESPACE = "kstatefun.api";

  /** Returns whether this target covers the given function type. */
  boolean matches(FunctionType type);

  /** The namespace of the function types this target covers. */
  String namespace();

  /**
   * Parses {@code <namespace>/<name>} or {@code <namespace>/*}.
   *
   * @param pattern the pattern as written in {@code spec.functions}
   * @return the target
   * @throws IllegalArgumentException if the pattern is not of either form, or uses {@code *}
   *     anywhere but as the whole name
   */
  static FunctionTarget parse(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    int slash = pattern.indexOf('/');
    if (slash > 0
        && slash == pattern.lastIndexOf('/')
        && pattern.substring(slash + 1).equals("*")) {
      return new Namespace(pattern.substring(0, slash));
    }
    if (pattern.indexOf('*') >= 0) {
      throw new IllegalArgumentException(
          "only <namespace>/<name> or <namespace>/* are supported; '*' may only be the whole name");
    }
    return new Exact(FunctionType.parse(pattern));
  }

  /**
   * Exactly one function type.
   *
   * @param type the function type
   */
  record Exact(FunctionType type) implements FunctionTarget {

    /** Validates the type. */
    public Exact {
      Objects.requireNonNull(type, "type");
    }

    @Override
    public boolean matches(FunctionType candidate) {
      return type.equals(candidate);
    }

    @Override
    public String namespace() {
      return type.namespace();
    }

    /** Returns {@code namespace/name}. */
    @Override
    public String toString() {
      return type.toString();
    }
  }

  /**
   * Every function type of one namespace.
   *
   * @param namespace the namespace
   */
  record Namespace(String namespace) implements FunctionTarget {

    /** Validates the namespace. */
    public Namespace {
      Objects.requireNonNull(namespace, "namespace");
      if (namespace.isEmpty() || namespace.indexOf('/') >= 0 || namespace.indexOf('*') >= 0) {
        throw new IllegalArgumentException(
            "a namespace must be non-empty and contain neither '/' nor '*': '" + namespace + "'");
      }
    }

    @Override
    public boolean matches(FunctionType candidate) {
      return namespace.equals(candidate.namespace());
    }

    /** Returns {@code namespace/*}. */
    @Override
    public String toString() {
      return namespace + "/*";
    }
  }
}
