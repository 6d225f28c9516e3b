package io.kstatefun.statefunimport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the importer needs from a StateFun {@code module.yaml}: which function types are remote (the
 * {@code functions} of its HTTP endpoints: {@code ns/name} or {@code ns/*}) and its Kafka
 * ingresses. Both the multi-document format ({@code kind:} + {@code spec:}) and the legacy {@code
 * version: "3.0"} format are read.
 */
final class ModuleSpec {

  /** A Kafka ingress: its id ({@code ns/name}), consumer group and topics. */
  record KafkaIngress(String id, String consumerGroupId, List<String> topics) {

    /** The Flink operator uid StateFun 3.3.0 gives the ingress's source. */
    String sourceUid() {
      int slash = id.indexOf('/');
      return "statefun.kafka.io-universal-ingress-"
          + id.substring(0, slash)
          + "-"
          + id.substring(slash + 1)
          + "-ingress";
    }
  }

  /** The Flink operator uid StateFun 3.3.0 gives a Kafka egress's sink. */
  static String egressSinkUid(String egressId) {
    int slash = egressId.indexOf('/');
    return "statefun.kafka.io-universal-egress-"
        + egressId.substring(0, slash)
        + "-"
        + egressId.substring(slash + 1)
        + "-egress";
  }

  private final Set<String> exactTypes;
  private final List<String> kafkaEgresses = new ArrayList<>();
  private final Set<String> namespaces;
  private final List<KafkaIngress> kafkaIngresses;

  private ModuleSpec(Set<String> exactTypes, Set<String> namespaces, List<KafkaIngress> ingresses) {
    this.exactTypes = exactTypes;
    this.namespaces = namespaces;
    this.kafkaIngresses = ingresses;
  }

  static ModuleSpec parse(Path file) throws IOException {
    Set<String> exact = new LinkedHashSet<>();
    Set<String> namespaces = new LinkedHashSet<>();
    List<KafkaIngress> ingresses = new ArrayList<>();
    List<String> egresses = new ArrayList<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (MappingIterator<JsonNode> docs =
        yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        if (doc.path("kind").asText().contains("kafka")
            && doc.path("kind").asText().endsWith("egress")) {
          egresses.add(doc.path("spec").path("id").asText());
        }
        if (doc.has("kind")) {
          component(doc.path("kind").asText(), doc.path("spec"), exact, namespaces, ingresses);
        } else if (doc.has("module")) {
          JsonNode spec = doc.path("module").path("spec");
          for (JsonNode endpoint : spec.path("endpoints")) {
            component(
                "io.statefun.endpoints.v1/http",
                endpoint.path("endpoint").path("spec"),
                exact,
                namespaces,
                ingresses);
          }
          for (JsonNode ingress : spec.path("ingresses")) {
            JsonNode i = ingress.path("ingress");
            component(
                i.path("meta").path("type").asText(),
                i.path("spec").deepCopy(),
                exact,
                namespaces,
                ingresses);
          }
        }
      }
    }
    ModuleSpec spec = new ModuleSpec(exact, namespaces, ingresses);
    spec.kafkaEgresses.addAll(egresses);
    return spec;
  }

  private static void component(
      String kind,
      JsonNode spec,
      Set<String> exact,
      Set<String> namespaces,
      List<KafkaIngress> ingresses) {
    if (kind.startsWith("io.statefun.endpoints.")) {
      JsonNode functions = spec.path("functions");
      List<String> patterns = new ArrayList<>();
      if (functions.isArray()) {
        functions.forEach(f -> patterns.add(f.asText()));
      } else if (!functions.isMissingNode()) {
        patterns.add(functions.asText());
      }
      for (String pattern : patterns) {
        if (pattern.endsWith("/*")) {
          namespaces.add(pattern.substring(0, pattern.length() - 2));
        } else {
          exact.add(pattern);
        }
      }
    } else if (kind.equals("io.statefun.kafka.v1/ingress")
        || kind.equals("io.statefun.kafka/ingress")) {
      List<String> topics = new ArrayList<>();
      for (JsonNode t : spec.path("topics")) {
        topics.add(t.isTextual() ? t.asText() : t.path("topic").asText());
      }
      ingresses.add(
          new KafkaIngress(
              spec.path("id").asText(spec.path("meta").path("id").asText()),
              spec.path("consumerGroupId").asText(""),
              topics));
    }
  }

  /** Whether {@code ns/name} is a remote function type of this module. */
  boolean isRemote(String functionType) {
    if (exactTypes.contains(functionType)) {
      return true;
    }
    int slash = functionType.indexOf('/');
    return slash > 0 && namespaces.contains(functionType.substring(0, slash));
  }

  /**
   * The function type and state name of a Flink state named {@code <ns>.<name>.<state>} (how
   * StateFun names a function's state) if the function type is one of this module's; else null.
   */
  String[] resolveFlinkStateName(String flinkName) {
    for (String type : exactTypes) {
      String prefix = type.replace('/', '.') + ".";
      if (flinkName.startsWith(prefix) && flinkName.length() > prefix.length()) {
        return new String[] {type, flinkName.substring(prefix.length())};
      }
    }
    for (String ns : namespaces) {
      String prefix = ns + ".";
      if (flinkName.startsWith(prefix)) {
        String rest = flinkName.substring(prefix.length());
        int dot = rest.indexOf('.');
        if (dot > 0 && dot < rest.length() - 1) {
          return new String[] {ns + "/" + rest.substring(0, dot), rest.substring(dot + 1)};
        }
      }
    }
    return null;
  }

  List<String> kafkaEgresses() {
    return kafkaEgresses;
  }

  List<KafkaIngress> kafkaIngresses() {
    return kafkaIngresses;
  }

  String describeFunctions() {
    List<String> all = new ArrayList<>(exactTypes);
    namespaces.forEach(ns -> all.add(ns + "/*"));
    return String.join(", ", all);
  }
}
