package io.kstatefun.routing.module.internals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** A YAML map with a fixed set of allowed keys; see {@link SpecNode#object(String...)}. Not API. */
public final class SpecObject {

  private final SpecNode node;
  private final List<String> knownKeys;

  SpecObject(SpecNode node, List<String> knownKeys) {
    this.node = node;
    this.knownKeys = knownKeys;
  }

  /** Returns the map's own node. */
  public SpecNode node() {
    return node;
  }

  /** Returns whether the key is present (even with a null value). */
  public boolean has(String key) {
    return node.json().has(key);
  }

  /**
   * Returns the value of a required key.
   *
   * @param key the key
   * @param expected what the value should be, for the error message
   * @throws io.kstatefun.routing.module.ModuleConfigException if the key is absent or null
   */
  public SpecNode required(String key, String expected) {
    JsonNode value = node.json().get(key);
    if (value == null) {
      throw missing(key, expected);
    }
    if (value.isNull()) {
      throw node.context().error(childPath(key), "missing value; expected " + expected);
    }
    return new SpecNode(node.context(), value, childPath(key));
  }

  /** Returns the error for a key that is absent but required in this situation. */
  public io.kstatefun.routing.module.ModuleConfigException missing(String key, String expected) {
    return node.context().error(childPath(key), "missing required key; expected " + expected);
  }

  /** Returns the value of an optional key, if present; a null value is returned as a node. */
  public Optional<SpecNode> optional(String key) {
    JsonNode value = node.json().get(key);
    return value == null
        ? Optional.empty()
        : Optional.of(new SpecNode(node.context(), value, childPath(key)));
  }

  void requireKnownKeys() {
    for (Iterator<String> it = node.json().fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!knownKeys.contains(key)) {
        StringBuilder problem =
            new StringBuilder("unknown key '").append(key).append("'; expected one of: ");
        problem.append(String.join(", ", knownKeys));
        closest(key).ifPresent(k -> problem.append(" (did you mean '").append(k).append("'?)"));
        throw node.context().error(childPath(key), problem.toString());
      }
    }
  }

  private String childPath(String key) {
    return node.path().isEmpty() ? key : node.path() + "." + key;
  }

  private Optional<String> closest(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String known : knownKeys) {
      int distance = distance(lower, known.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        best = known;
        bestDistance = distance;
      }
    }
    return bestDistance <= Math.max(1, key.length() / 4) ? Optional.of(best) : Optional.empty();
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
