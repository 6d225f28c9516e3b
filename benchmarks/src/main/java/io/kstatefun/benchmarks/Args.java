package io.kstatefun.benchmarks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options: {@code --name value} pairs, repeatable {@code --set key=value}, and flags
 * (an option followed by another option or nothing). Unknown options are reported by {@link
 * #rejectUnused}.
 */
final class Args {

  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final Set<String> used = new HashSet<>();

  Args(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a;
      String value = "true";
      int eq = a.indexOf('=');
      if (eq > 0 && !a.equals("--set")) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      }
      values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
  }

  String required(String name) {
    String v = value(name, null);
    if (v == null) {
      throw new IllegalArgumentException(name + " is required");
    }
    return v;
  }

  String value(String name, String dflt) {
    used.add(name);
    List<String> v = values.get(name);
    return v == null ? dflt : v.get(v.size() - 1);
  }

  boolean has(String name) {
    used.add(name);
    return values.containsKey(name);
  }

  boolean flag(String name) {
    String v = value(name, "false");
    return Boolean.parseBoolean(v);
  }

  long longValue(String name, long dflt) {
    String v = value(name, null);
    try {
      return v == null ? dflt : Long.parseLong(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " expects a whole number, got '" + v + "'");
    }
  }

  double doubleValue(String name, double dflt) {
    String v = value(name, null);
    try {
      return v == null ? dflt : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " expects a number, got '" + v + "'");
    }
  }

  List<String> all(String name) {
    used.add(name);
    return values.getOrDefault(name, List.of());
  }

  /** The {@code --set key=value} pairs, in order. */
  Map<String, String> settings() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : all("--set")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
      }
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  void rejectUnused() {
    for (String name : values.keySet()) {
      if (!used.contains(name)) {
        throw new IllegalArgumentException("unknown option " + name);
      }
    }
  }
}
