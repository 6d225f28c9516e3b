package io.kstatefun.sdk.internals;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.AddressScopedStorage;
import io.kstatefun.sdk.IllegalStorageAccessException;
import io.kstatefun.sdk.ValueSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The values of one address during one batch: what the request carried, and what the function
 * changed. Values are kept serialized; {@link #set} serializes at once so a failing serializer is
 * reported where it is called.
 *
 * <p>Threading: all methods are synchronized; a function may use the storage from asynchronous
 * continuations.
 */
public final class AddressStorage implements AddressScopedStorage {

  private enum Status {
    UNCHANGED,
    MODIFIED,
    DELETED
  }

  private static final class Cell {
    final ValueSpec<?> spec;
    TypedValue value; // null or !hasValue: nothing stored
    Status status = Status.UNCHANGED;

    Cell(ValueSpec<?> spec, TypedValue value) {
      this.spec = spec;
      this.value = value;
    }
  }

  private final String owner;
  private final boolean declaredOnly;
  private final Map<String, Cell> cells = new LinkedHashMap<>();

  private AddressStorage(String owner, boolean declaredOnly) {
    this.owner = owner;
    this.declaredOnly = declaredOnly;
  }

  /**
   * Storage restricted to {@code specs}, holding the given stored values (by state name; a missing
   * entry means no value).
   *
   * @param owner names the function and address in error messages
   */
  public static AddressStorage declared(
      String owner, List<ValueSpec<?>> specs, Map<String, TypedValue> values) {
    AddressStorage storage = new AddressStorage(owner, true);
    for (ValueSpec<?> spec : specs) {
      storage.cells.put(spec.name(), new Cell(spec, values.get(spec.name())));
    }
    return storage;
  }

  /** Storage that accepts any spec on first use; for tests of a function without its spec. */
  public static AddressStorage undeclared(String owner) {
    return new AddressStorage(owner, false);
  }

  @Override
  public synchronized <T> Optional<T> get(ValueSpec<T> spec) {
    Cell cell = cellOf(spec);
    if (cell.status == Status.DELETED || cell.value == null || !cell.value.getHasValue()) {
      return Optional.empty();
    }
    String storedType = cell.value.getTypename();
    if (!storedType.isEmpty() && !storedType.equals(spec.typeName().asString())) {
      throw new IllegalStorageAccessException(
          spec.name(),
          "the stored value has type "
              + storedType
              + " but the state is declared as "
              + spec.typeName()
              + " in "
              + owner
              + "; a state cannot change its type, declare a new state name instead");
    }
    byte[] bytes = cell.value.getValue().toByteArray();
    T value;
    try {
      value = spec.type().typeSerializer().deserialize(bytes);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "Cannot read state '"
              + spec.name()
              + "' of "
              + owner
              + " as "
              + spec.typeName()
              + ": "
              + e.getMessage(),
          e);
    }
    return Optional.ofNullable(value);
  }

  @Override
  public synchronized <T> void set(ValueSpec<T> spec, T value) {
    Cell cell = cellOf(spec);
    if (value == null) {
      throw new IllegalStorageAccessException(
          spec.name(), "cannot store null in " + owner + "; use remove() instead");
    }
    byte[] bytes;
    try {
      bytes = Objects.requireNonNull(spec.type().typeSerializer().serialize(value), "serialized");
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "Cannot store state '"
              + spec.name()
              + "' of "
              + owner
              + " as "
              + spec.typeName()
              + ": "
              + e.getMessage(),
          e);
    }
    cell.value =
        TypedValue.newBuilder()
            .setTypename(spec.typeName().asString())
            .setHasValue(true)
            .setValue(ByteString.copyFrom(bytes))
            .build();
    cell.status = Status.MODIFIED;
  }

  @Override
  public synchronized <T> void remove(ValueSpec<T> spec) {
    Cell cell = cellOf(spec);
    cell.value = null;
    cell.status = Status.DELETED;
  }

  /** One mutation per changed value, in declaration order. */
  public synchronized List<PersistedValueMutation> mutations() {
    List<PersistedValueMutation> mutations = new ArrayList<>();
    for (Cell cell : cells.values()) {
      if (cell.status == Status.MODIFIED) {
        mutations.add(
            PersistedValueMutation.newBuilder()
                .setMutationType(MutationType.MODIFY)
                .setStateName(cell.spec.name())
                .setStateValue(cell.value)
                .build());
      } else if (cell.status == Status.DELETED) {
        mutations.add(
            PersistedValueMutation.newBuilder()
                .setMutationType(MutationType.DELETE)
                .setStateName(cell.spec.name())
                .build());
      }
    }
    return mutations;
  }

  private Cell cellOf(ValueSpec<?> spec) {
    Objects.requireNonNull(spec, "spec");
    Cell cell = cells.get(spec.name());
    if (cell == null) {
      if (declaredOnly) {
        throw new IllegalStorageAccessException(
            spec.name(),
            "not declared by "
                + owner
                + "; declared states are "
                + cells.keySet()
                + ". Add the ValueSpec to the function's StatefulFunctionSpec");
      }
      cell = new Cell(spec, null);
      cells.put(spec.name(), cell);
      return cell;
    }
    if (cell.spec != spec && !cell.spec.typeName().equals(spec.typeName())) {
      throw new IllegalStorageAccessException(
          spec.name(),
          "declared as "
              + cell.spec.typeName()
              + " in "
              + owner
              + " but accessed as "
              + spec.typeName());
    }
    return cell;
  }
}
