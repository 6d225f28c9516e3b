package io.kstatefun.routing.module.internals;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kstatefun.routing.module.HttpEndpointSpec;
import io.kstatefun.routing.module.KafkaEgressSpec;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleConfigException;
import io.kstatefun.routing.module.ModuleSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads one module file: either StateFun's multi-document format (one component per document,
 * {@code kind} + {@code spec}) or the legacy single-document format {@code version: "3.0"} with
 * {@code module.spec.{endpoints, ingresses, egresses}}. Not API.
 */
public final class ModuleReader {

  private static final YAMLMapper MAPPER =
      YAMLMapper.builder(
              YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
          .build();

  private static final List<String> SUPPORTED_KINDS =
      List.of(
          HttpEndpointParser.V2_KIND,
          HttpEndpointParser.V1_KIND,
          KafkaIngressParser.KIND,
          KafkaEgressParser.KIND);

  private final String document;
  private final List<HttpEndpointSpec> endpoints = new ArrayList<>();
  private final List<KafkaIngressSpec> ingresses = new ArrayList<>();
  private final List<KafkaEgressSpec> egresses = new ArrayList<>();

  private ModuleReader(String document) {
    this.document = document;
  }

  /**
   * Parses a module file's contents.
   *
   * @param yaml the contents
   * @param document the name used in error messages and spec origins, usually the file name
   * @return the module spec
   * @throws ModuleConfigException if the module is invalid
   */
  public static ModuleSpec read(String yaml, String document) {
    ModuleReader reader = new ModuleReader(document);
    List<SpecNode> documents = reader.documents(yaml);
    if (documents.size() == 1 && documents.get(0).json().has("version")) {
      reader.legacy(documents.get(0));
    } else {
      for (SpecNode component : documents) {
        reader.component(component);
      }
    }
    return new ModuleSpec(reader.endpoints, reader.ingresses, reader.egresses);
  }

  /** Returns the non-empty YAML documents, each with its 1-based index in the file. */
  private List<SpecNode> documents(String yaml) {
    List<SpecNode> documents = new ArrayList<>();
    int index = 0;
    // Read document by document: a MappingIterator would unwrap a root-level list.
    try (JsonParser parser = MAPPER.createParser(yaml)) {
      while (true) {
        index++;
        if (parser.nextToken() == null) {
          break;
        }
        JsonNode node = MAPPER.readTree(parser);
        if (node == null
            || node.isNull()
            || node.isMissingNode()
            || (node.isTextual() && node.asText().isEmpty())) {
          continue; // an empty document, e.g. after a trailing '---'
        }
        documents.add(new SpecNode(SpecContext.ofDocument(document, index), node, ""));
      }
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation();
      String where =
          location == null
              ? ""
              : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
      throw new ModuleConfigException(
          document,
          index,
          null,
          null,
          "YAML syntax error" + where + ": " + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new ModuleConfigException(
          document, index, null, null, "cannot read YAML: " + e.getMessage(), e);
    }
    return documents;
  }

  private void component(SpecNode documentNode) {
    if (documentNode.json().has("version")) {
      throw documentNode
          .context()
          .error(
              "version",
              "the legacy format (version: \"3.0\") must be the only document of its file;"
                  + " multi-document files declare one component per document with kind and spec");
    }
    SpecObject component = documentNode.object("kind", "spec");
    SpecNode kindNode =
        component.required("kind", "a component kind such as " + HttpEndpointParser.V2_KIND);
    String kind = kindNode.typeName("a component kind").toString();
    SpecContext context = documentNode.context().withKind(kind);
    SpecNode spec =
        new SpecNode(
            context, component.required("spec", "the component's spec map").json(), "spec");
    bind(kind, spec, Optional.empty(), new SpecNode(context, kindNode.json(), kindNode.path()));
  }

  private void bind(String kind, SpecNode spec, Optional<SpecNode> legacyId, SpecNode kindNode) {
    switch (kind) {
      case HttpEndpointParser.V2_KIND -> endpoints.add(HttpEndpointParser.parse(spec, false));
      case HttpEndpointParser.V1_KIND -> endpoints.add(HttpEndpointParser.parse(spec, true));
      case KafkaIngressParser.KIND -> ingresses.add(KafkaIngressParser.parse(spec, legacyId));
      case KafkaEgressParser.KIND -> egresses.add(KafkaEgressParser.parse(spec, legacyId));
      default -> {
        if (kind.startsWith("io.statefun.kinesis")) {
          throw kindNode.error(
              "kind '"
                  + kind
                  + "' (AWS Kinesis) is not supported by kstatefun; supported kinds: "
                  + String.join(", ", SUPPORTED_KINDS));
        }
        throw kindNode.error(
            "unknown kind '" + kind + "'; supported kinds: " + String.join(", ", SUPPORTED_KINDS));
      }
    }
  }

  private void legacy(SpecNode root) {
    SpecObject rootObject = root.object("version", "module");
    SpecNode versionNode = rootObject.required("version", "\"3.0\"");
    String version = versionNode.text("\"3.0\"");
    if (version.equals("1.0") || version.equals("2.0")) {
      throw versionNode.invalid(
          "\"3.0\" or the multi-document format",
          "format version " + version + " is no longer supported");
    }
    if (!version.equals("3.0")) {
      throw versionNode.invalid("\"3.0\" or the multi-document format");
    }
    SpecObject module =
        rootObject.required("module", "a map with meta and spec").object("meta", "spec");
    SpecObject meta = module.required("meta", "a map with type: remote").object("type");
    SpecNode type = meta.required("type", "remote");
    if (!type.text("remote").toLowerCase(Locale.ROOT).equals("remote")) {
      throw type.invalid("remote (the only module type)");
    }
    SpecObject spec =
        module
            .required("spec", "a map with endpoints, ingresses and egresses")
            .object("endpoints", "ingresses", "egresses");

    for (SpecNode element : legacyList(spec, "endpoints")) {
      SpecNode endpoint =
          element.object("endpoint").required("endpoint", "a map with meta and spec");
      SpecObject endpointObject = endpoint.object("meta", "spec");
      SpecNode kindNode =
          endpointObject
              .required("meta", "a map with kind: http")
              .object("kind")
              .required("kind", "http");
      String legacyKind = kindNode.text("http");
      String kind = legacyKind.equals("http") ? HttpEndpointParser.V1_KIND : legacyKind;
      bindLegacy(element, kind, endpointObject, Optional.empty(), kindNode);
    }
    for (SpecNode element : legacyList(spec, "ingresses")) {
      SpecObject ingress =
          element
              .object("ingress")
              .required("ingress", "a map with meta and spec")
              .object("meta", "spec");
      SpecObject meta2 = ingress.required("meta", "a map with type and id").object("type", "id");
      SpecNode kindNode = meta2.required("type", KafkaIngressParser.LEGACY_KIND);
      String legacyKind = kindNode.text(KafkaIngressParser.LEGACY_KIND);
      String kind =
          legacyKind.equals(KafkaIngressParser.LEGACY_KIND) ? KafkaIngressParser.KIND : legacyKind;
      SpecNode id = meta2.required("id", "an ingress id <namespace>/<name>");
      bindLegacy(element, kind, ingress, Optional.of(id), kindNode);
    }
    for (SpecNode element : legacyList(spec, "egresses")) {
      SpecObject egress =
          element
              .object("egress")
              .required("egress", "a map with meta and spec")
              .object("meta", "spec");
      SpecObject meta2 = egress.required("meta", "a map with type and id").object("type", "id");
      SpecNode kindNode = meta2.required("type", KafkaEgressParser.LEGACY_KIND);
      String legacyKind = kindNode.text(KafkaEgressParser.LEGACY_KIND);
      String kind =
          legacyKind.equals(KafkaEgressParser.LEGACY_KIND) ? KafkaEgressParser.KIND : legacyKind;
      SpecNode id = meta2.required("id", "an egress id <namespace>/<name>");
      bindLegacy(element, kind, egress, Optional.of(id), kindNode);
    }
  }

  private void bindLegacy(
      SpecNode element,
      String kind,
      SpecObject component,
      Optional<SpecNode> legacyId,
      SpecNode kindNode) {
    SpecContext context =
        element.context().withKind(kind).withOrigin(document + ", " + element.path());
    SpecNode rawSpec = component.required("spec", "the component's spec map");
    SpecNode spec = new SpecNode(context, rawSpec.json(), rawSpec.path());
    Optional<SpecNode> id = legacyId.map(n -> new SpecNode(context, n.json(), n.path()));
    bind(kind, spec, id, new SpecNode(context, kindNode.json(), kindNode.path()));
  }

  private static List<SpecNode> legacyList(SpecObject spec, String key) {
    return spec.optional(key).map(n -> n.list("a list")).orElse(List.of());
  }
}
