package io.kstatefun.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The declaration of a function type: its {@link TypeName}, the values it persists, and how to
 * create instances.
 *
 * <pre>{@code
 * StatefulFunctionSpec spec =
 *     StatefulFunctionSpec.builder(TypeName.of("example", "greeter"))
 *         .withValueSpecs(SEEN)
 *         .withSupplier(Greeter::new)
 *         .build();
 * }</pre>
 */
public final class StatefulFunctionSpec {
  private final TypeName typeName;
  private final List<ValueSpec<?>> valueSpecs;
  private final Supplier<? extends StatefulFunction> supplier;

  private StatefulFunctionSpec(
      TypeName typeName,
      List<ValueSpec<?>> valueSpecs,
      Supplier<? extends StatefulFunction> supplier) {
    this.typeName = typeName;
    this.valueSpecs = valueSpecs;
    this.supplier = supplier;
  }

  /** Starts the declaration of the function type {@code typeName}. */
  public static Builder builder(TypeName typeName) {
    return new Builder(typeName);
  }

  /** The function type. */
  public TypeName typeName() {
    return typeName;
  }

  /** The declared values, in declaration order. */
  public List<ValueSpec<?>> valueSpecs() {
    return valueSpecs;
  }

  /** Creates function instances. */
  public Supplier<? extends StatefulFunction> supplier() {
    return supplier;
  }

  @Override
  public String toString() {
    return "StatefulFunctionSpec(" + typeName + ", values " + valueSpecs + ")";
  }

  /** Builds a {@link StatefulFunctionSpec}. */
  public static final class Builder {
    private final TypeName typeName;
    private final Map<String, ValueSpec<?>> valueSpecs = new LinkedHashMap<>();
    private Supplier<? extends StatefulFunction> supplier;

    private Builder(TypeName typeName) {
      this.typeName = Objects.requireNonNull(typeName, "typeName");
    }

    /**
     * Declares values.
     *
     * @throws IllegalArgumentException if a name is declared twice
     */
    public Builder withValueSpecs(ValueSpec<?>... specs) {
      for (ValueSpec<?> spec : specs) {
        withValueSpec(spec);
      }
      return this;
    }

    /**
     * Declares a value.
     *
     * @throws IllegalArgumentException if its name is already declared
     */
    public Builder withValueSpec(ValueSpec<?> spec) {
      Objects.requireNonNull(spec, "spec");
      if (valueSpecs.putIfAbsent(spec.name(), spec) != null) {
        throw new IllegalArgumentException(
            "Function " + typeName + " declares state '" + spec.name() + "' twice");
      }
      return this;
    }

    /** Creates a function instance per request. */
    public Builder withSupplier(Supplier<? extends StatefulFunction> supplier) {
      this.supplier = Objects.requireNonNull(supplier, "supplier");
      return this;
    }

    /**
     * Builds the spec.
     *
     * @throws IllegalStateException if no supplier was given
     */
    public StatefulFunctionSpec build() {
      if (supplier == null) {
        throw new IllegalStateException("Function " + typeName + " has no supplier");
      }
      return new StatefulFunctionSpec(
          typeName, Collections.unmodifiableList(new ArrayList<>(valueSpecs.values())), supplier);
    }
  }
}
