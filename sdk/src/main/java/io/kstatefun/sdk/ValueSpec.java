package io.kstatefun.sdk;

import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.time.Duration;
import java.util.Objects;

/**
 * The declaration of one persisted value of a function: its name, its {@link Type} and its {@link
 * Expiration}. Declare every value in the function's {@link StatefulFunctionSpec} and use the same
 * spec to read and write it through {@link AddressScopedStorage}.
 *
 * <pre>{@code
 * static final ValueSpec<Integer> SEEN =
 *     ValueSpec.named("seen").thatExpiresAfterCall(Duration.ofDays(1)).withIntType();
 * }</pre>
 *
 * <p>The runtime learns these declarations through the state handshake: the first request for a
 * function type carries no state, the SDK answers with the missing specs, and from then on every
 * request carries every declared value.
 *
 * @param <T> the Java type of the value
 */
public final class ValueSpec<T> {
  private final String name;
  private final Expiration expiration;
  private final Type<T> type;

  private ValueSpec(String name, Expiration expiration, Type<T> type) {
    this.name = name;
    this.expiration = expiration;
    this.type = type;
  }

  /**
   * Starts a declaration. A name starts with a letter or {@code '_'} and continues with letters,
   * digits or {@code '_'}.
   *
   * @throws IllegalArgumentException if the name is not valid
   */
  public static Untyped named(String name) {
    return new Untyped(validName(name), Expiration.none());
  }

  /** The state name, unique within the function type. */
  public String name() {
    return name;
  }

  /** When the runtime may drop the value. */
  public Expiration expiration() {
    return expiration;
  }

  /** The value type. */
  public Type<T> type() {
    return type;
  }

  /** Shorthand for {@code type().typeName()}. */
  public TypeName typeName() {
    return type.typeName();
  }

  @Override
  public String toString() {
    return "ValueSpec(" + name + ": " + type.typeName() + ", expiration " + expiration + ")";
  }

  /** A {@link ValueSpec} under construction, before its type is chosen. */
  public static final class Untyped {
    private final String name;
    private final Expiration expiration;

    private Untyped(String name, Expiration expiration) {
      this.name = name;
      this.expiration = expiration;
    }

    /** The value expires {@code duration} after it was last written. */
    public Untyped thatExpiresAfterWrite(Duration duration) {
      return new Untyped(name, Expiration.afterWrite(duration));
    }

    /** The value expires {@code duration} after the address was last invoked. */
    public Untyped thatExpiresAfterCall(Duration duration) {
      return new Untyped(name, Expiration.afterCall(duration));
    }

    /** Uses the given expiration. */
    public Untyped withExpiration(Expiration expiration) {
      return new Untyped(name, Objects.requireNonNull(expiration, "expiration"));
    }

    /** An {@code io.statefun.types/int} value. */
    public ValueSpec<Integer> withIntType() {
      return withType(Types.integerType());
    }

    /** An {@code io.statefun.types/long} value. */
    public ValueSpec<Long> withLongType() {
      return withType(Types.longType());
    }

    /** An {@code io.statefun.types/float} value. */
    public ValueSpec<Float> withFloatType() {
      return withType(Types.floatType());
    }

    /** An {@code io.statefun.types/double} value. */
    public ValueSpec<Double> withDoubleType() {
      return withType(Types.doubleType());
    }

    /** An {@code io.statefun.types/bool} value. */
    public ValueSpec<Boolean> withBooleanType() {
      return withType(Types.booleanType());
    }

    /** An {@code io.statefun.types/string} value. */
    public ValueSpec<String> withUtf8StringType() {
      return withType(Types.stringType());
    }

    /** A value of any {@link Type}, e.g. one from {@link Types#jsonType}. */
    public <T> ValueSpec<T> withType(Type<T> type) {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(type.typeName(), "type.typeName()");
      Objects.requireNonNull(type.typeSerializer(), "type.typeSerializer()");
      return new ValueSpec<>(name, expiration, type);
    }
  }

  private static String validName(String name) {
    Objects.requireNonNull(name, "name");
    boolean valid = !name.isEmpty() && isStart(name.charAt(0));
    for (int i = 1; valid && i < name.length(); i++) {
      valid = isPart(name.charAt(i));
    }
    if (!valid) {
      throw new IllegalArgumentException(
          "Invalid state name '"
              + name
              + "': it must start with a letter or '_' and contain only"
              + " letters, digits and '_'");
    }
    return name;
  }

  private static boolean isStart(char c) {
    return Character.isLetter(c) || c == '_';
  }

  private static boolean isPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }
}
