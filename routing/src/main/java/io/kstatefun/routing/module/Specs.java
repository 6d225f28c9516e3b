package io.kstatefun.routing.module;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Helpers shared by the spec records. */
final class Specs {

  private Specs() {}

  /** Copies a map into an unmodifiable map that keeps the iteration order and has no nulls. */
  static <K, V> Map<K, V> immutableOrderedMap(Map<K, V> map, String what) {
    Objects.requireNonNull(map, what);
    LinkedHashMap<K, V> copy = new LinkedHashMap<>();
    map.forEach(
        (key, value) ->
            copy.put(
                Objects.requireNonNull(key, what + " key"),
                Objects.requireNonNull(value, what + " value")));
    return Collections.unmodifiableMap(copy);
  }
}
