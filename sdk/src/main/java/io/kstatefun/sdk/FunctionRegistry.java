package io.kstatefun.sdk;

import io.kstatefun.sdk.internals.BatchHandler;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The immutable set of functions served by one endpoint, keyed by function type.
 *
 * <pre>{@code
 * FunctionRegistry registry = FunctionRegistry.of(GREETER_SPEC, COUNTER_SPEC);
 * new FunctionServer(registry).listen(8000);
 * }</pre>
 */
public final class FunctionRegistry {
  private final Map<TypeName, StatefulFunctionSpec> specs;

  private FunctionRegistry(Map<TypeName, StatefulFunctionSpec> specs) {
    this.specs = specs;
  }

  /**
   * A registry of the given functions.
   *
   * @throws IllegalArgumentException if a function type is registered twice
   */
  public static FunctionRegistry of(StatefulFunctionSpec... specs) {
    Builder builder = builder();
    for (StatefulFunctionSpec spec : specs) {
      builder.withFunction(spec);
    }
    return builder.build();
  }

  /** Starts an empty registry. */
  public static Builder builder() {
    return new Builder();
  }

  /** The registered function types, in registration order. */
  public Set<TypeName> functionTypes() {
    return specs.keySet();
  }

  /** The spec of {@code functionType}, if registered. */
  public Optional<StatefulFunctionSpec> spec(TypeName functionType) {
    return Optional.ofNullable(specs.get(functionType));
  }

  /** A thread-safe, transport-free handler for the protocol requests to these functions. */
  public RequestReplyHandler requestReplyHandler() {
    return new RequestReplyHandler(new BatchHandler(this));
  }

  @Override
  public String toString() {
    return "FunctionRegistry" + specs.keySet();
  }

  /** Builds a {@link FunctionRegistry}. */
  public static final class Builder {
    private final Map<TypeName, StatefulFunctionSpec> specs = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Registers a function.
     *
     * @throws IllegalArgumentException if its type is already registered
     */
    public Builder withFunction(StatefulFunctionSpec spec) {
      Objects.requireNonNull(spec, "spec");
      if (specs.putIfAbsent(spec.typeName(), spec) != null) {
        throw new IllegalArgumentException(
            "Function type " + spec.typeName() + " is registered twice");
      }
      return this;
    }

    /** Registers a function built by {@code spec}. */
    public Builder withFunction(StatefulFunctionSpec.Builder spec) {
      return withFunction(spec.build());
    }

    /** Builds the registry. */
    public FunctionRegistry build() {
      return new FunctionRegistry(Collections.unmodifiableMap(new LinkedHashMap<>(specs)));
    }
  }
}
