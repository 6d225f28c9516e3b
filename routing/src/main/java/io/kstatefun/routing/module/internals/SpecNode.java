package io.kstatefun.routing.module.internals;

import com.fasterxml.jackson.databind.JsonNode;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.TypeName;
import io.kstatefun.routing.module.ModuleConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A YAML node together with its key path and the component it belongs to, with typed accessors that
 * fail with a {@link ModuleConfigException} naming the path, the value and what was expected. Not
 * API.
 */
public final class SpecNode {

  private static final int MAX_RENDERED_LENGTH = 120;

  private final SpecContext context;
  private final JsonNode json;
  private final String path;

  /**
   * Creates a node.
   *
   * @param context the component's context
   * @param json the YAML node
   * @param path the key path, e.g. {@code spec.topics[0]}
   */
  public SpecNode(SpecContext context, JsonNode json, String path) {
    this.context = Objects.requireNonNull(context, "context");
    this.json = Objects.requireNonNull(json, "json");
    this.path = Objects.requireNonNull(path, "path");
  }

  /** Returns the component's context. */
  public SpecContext context() {
    return context;
  }

  /** Returns the raw YAML node. */
  public JsonNode json() {
    return json;
  }

  /** Returns the key path. */
  public String path() {
    return path;
  }

  /** Returns an error at this node. */
  public ModuleConfigException error(String problem) {
    return context.error(path, problem);
  }

  /** Returns an error saying that this node's value is not what was expected. */
  public ModuleConfigException invalid(String expected) {
    return error("invalid value " + render(json) + "; expected " + expected);
  }

  /** Returns an error saying that this node's value is not what was expected, and why. */
  public ModuleConfigException invalid(String expected, String reason) {
    return error("invalid value " + render(json) + " (" + reason + "); expected " + expected);
  }

  /**
   * Treats this node as a map with a fixed set of keys.
   *
   * @param knownKeys every key the map may contain
   * @return the map
   * @throws ModuleConfigException if the node is not a map or contains another key
   */
  public SpecObject object(String... knownKeys) {
    if (!json.isObject()) {
      throw invalid("a map with keys " + String.join(", ", knownKeys));
    }
    SpecObject object = new SpecObject(this, List.of(knownKeys));
    object.requireKnownKeys();
    return object;
  }

  /** Returns the elements of this list node. */
  public List<SpecNode> list(String expected) {
    if (!json.isArray()) {
      throw invalid(expected);
    }
    List<SpecNode> elements = new ArrayList<>(json.size());
    for (int i = 0; i < json.size(); i++) {
      elements.add(new SpecNode(context, json.get(i), path + "[" + i + "]"));
    }
    return elements;
  }

  /** Returns the elements of this list node, requiring at least one. */
  public List<SpecNode> nonEmptyList(String expected) {
    List<SpecNode> elements = list(expected);
    if (elements.isEmpty()) {
      throw invalid(expected, "the list is empty");
    }
    return elements;
  }

  /** Returns this scalar node as text. Numbers and booleans are accepted as their text. */
  public String text(String expected) {
    if (!(json.isTextual() || json.isNumber() || json.isBoolean())) {
      throw invalid(expected);
    }
    return json.asText();
  }

  /** Returns this scalar node as non-blank text. */
  public String nonEmptyText(String expected) {
    String text = text(expected);
    if (text.isBlank()) {
      throw invalid(expected, "it is empty");
    }
    return text;
  }

  /** Returns this node as an integer in {@code [min, max]}; numeric text is accepted. */
  public int intValue(int min, int max) {
    long value = longValue(min, max);
    return (int) value;
  }

  /** Returns this node as a long in {@code [min, max]}; numeric text is accepted. */
  public long longValue(long min, long max) {
    String expected =
        max == Long.MAX_VALUE
            ? "an integer >= " + min
            : "an integer between " + min + " and " + max;
    long value;
    if (json.isIntegralNumber() && json.canConvertToLong()) {
      value = json.asLong();
    } else if (json.isTextual()) {
      try {
        value = Long.parseLong(json.asText().trim());
      } catch (NumberFormatException e) {
        throw invalid(expected);
      }
    } else {
      throw invalid(expected);
    }
    if (value < min || value > max) {
      throw invalid(expected);
    }
    return value;
  }

  /** Returns this node as a duration in StateFun's format; see {@link Durations}. */
  public Duration duration() {
    if (json.isIntegralNumber() && json.canConvertToLong() && json.asLong() >= 0) {
      return Duration.ofMillis(json.asLong());
    }
    if (!json.isTextual()) {
      throw invalid(Durations.EXPECTED);
    }
    try {
      return Durations.parse(json.asText());
    } catch (IllegalArgumentException e) {
      throw invalid(Durations.EXPECTED, e.getMessage());
    }
  }

  /** Returns this node as a positive duration. */
  public Duration positiveDuration() {
    Duration duration = duration();
    if (duration.isZero()) {
      throw invalid("a duration larger than zero, such as 500ms, 15s or 2m");
    }
    return duration;
  }

  /** Returns this node as a {@code <namespace>/<name>} type name. */
  public TypeName typeName(String what) {
    String expected = what + " of the form <namespace>/<name> with exactly one '/'";
    String text = text(expected);
    try {
      return TypeName.parse(text);
    } catch (IllegalArgumentException e) {
      throw invalid(expected);
    }
  }

  /** Returns this node as a {@code <namespace>/<name>} function type. */
  public FunctionType functionType() {
    String expected = "a function type of the form <namespace>/<name> with exactly one '/'";
    String text = text(expected);
    if (text.indexOf('*') >= 0) {
      throw invalid(expected, "wildcards are not allowed here");
    }
    try {
      return FunctionType.parse(text);
    } catch (IllegalArgumentException e) {
      throw invalid(expected);
    }
  }

  /**
   * Returns the value that this node's text names.
   *
   * @param choices the accepted texts and their values, in the order to list them in errors
   * @param caseSensitive whether the text must match exactly
   */
  public <E> E choice(Map<String, E> choices, boolean caseSensitive) {
    String expected = "one of " + String.join(", ", choices.keySet());
    String text = text(expected);
    for (Map.Entry<String, E> choice : choices.entrySet()) {
      if (caseSensitive ? choice.getKey().equals(text) : choice.getKey().equalsIgnoreCase(text)) {
        return choice.getValue();
      }
    }
    throw invalid(expected);
  }

  /**
   * Returns Kafka client properties written either as a list of single-entry maps ({@code - key:
   * value}, StateFun's form) or as a plain map. Values must be scalars; a key may appear once.
   */
  public Map<String, String> properties() {
    String expected = "a list of single-entry maps (- key: value) or a map of Kafka properties";
    Map<String, String> properties = new LinkedHashMap<>();
    if (json.isArray()) {
      for (SpecNode element : list(expected)) {
        if (!element.json.isObject() || element.json.isEmpty()) {
          throw element.invalid("a single-entry map such as '- max.poll.records: 100'");
        }
        element.addProperties(properties);
      }
    } else if (json.isObject()) {
      addProperties(properties);
    } else {
      throw invalid(expected);
    }
    return Collections.unmodifiableMap(properties);
  }

  private void addProperties(Map<String, String> properties) {
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      SpecNode value = new SpecNode(context, field.getValue(), path + "." + field.getKey());
      String text = value.text("a scalar property value (string, number or boolean)");
      if (properties.putIfAbsent(field.getKey(), text) != null) {
        throw value.error("duplicate property '" + field.getKey() + "'; set each property once");
      }
    }
  }

  /** Renders a value for an error message, truncated if long. */
  static String render(JsonNode node) {
    String rendered;
    if (node.isNull() || node.isMissingNode()) {
      rendered = "null (no value)";
    } else if (node.isTextual()) {
      rendered = "'" + node.asText() + "'";
    } else if (node.isValueNode()) {
      rendered = node.asText();
    } else {
      rendered = node.toString();
    }
    if (rendered.length() > MAX_RENDERED_LENGTH) {
      rendered = rendered.substring(0, MAX_RENDERED_LENGTH) + "...";
    }
    return rendered;
  }
}
