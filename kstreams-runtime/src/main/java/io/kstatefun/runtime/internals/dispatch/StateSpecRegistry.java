package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.routing.FunctionType;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The states each function type has declared, learned through StateFun's state negotiation (a
 * function answers {@code IncompleteInvocationContext} with the specs it misses).
 *
 * <p>Like StateFun, the registry lives in memory: after a restart the first call of each type goes
 * without states and the function asks for them again.
 *
 * <p>Threading: shared by all stream threads of an instance; safe for concurrent use.
 */
public final class StateSpecRegistry {

  private final ConcurrentHashMap<FunctionType, Map<String, PersistedValueSpec>> specs =
      new ConcurrentHashMap<>();

  /** The registered specs of {@code type}, in registration order. */
  public Collection<PersistedValueSpec> specsOf(FunctionType type) {
    Map<String, PersistedValueSpec> m = specs.get(type);
    return m == null ? List.of() : m.values();
  }

  /** The registered spec of one state, or {@code null}. */
  public PersistedValueSpec spec(FunctionType type, String stateName) {
    Map<String, PersistedValueSpec> m = specs.get(type);
    return m == null ? null : m.get(stateName);
  }

  /**
   * Registers the specs a function asked for.
   *
   * @return how many specs were new or changed; 0 means the function asked for nothing new
   */
  public int register(FunctionType type, List<PersistedValueSpec> missing) {
    int[] changed = {0};
    specs.compute(
        type,
        (t, old) -> {
          Map<String, PersistedValueSpec> next =
              old == null ? new LinkedHashMap<>() : new LinkedHashMap<>(old);
          for (PersistedValueSpec spec : missing) {
            PersistedValueSpec prev = next.put(spec.getStateName(), spec);
            if (!spec.equals(prev)) {
              changed[0]++;
            }
          }
          return java.util.Collections.unmodifiableMap(next);
        });
    return changed[0];
  }
}
