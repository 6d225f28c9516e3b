package io.kstatefun.routing.module;

import io.kstatefun.routing.module.internals.ModuleReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Parses StateFun 3.3.0 module files ({@code module.yaml}).
 *
 * <p>Two formats are accepted:
 *
 * <ul>
 *   <li>the multi-document format: one component per YAML document (separated by {@code ---}), each
 *       a map with {@code kind} and {@code spec}; empty documents are ignored;
 *   <li>the legacy single-document format {@code version: "3.0"} with {@code module.meta.type:
 *       remote} and {@code module.spec.{endpoints, ingresses, egresses}}, whose legacy kinds
 *       ({@code http}, {@code io.statefun.kafka/ingress}, {@code io.statefun.kafka/egress}) map to
 *       the v1 components.
 * </ul>
 *
 * <p>Supported kinds: {@code io.statefun.endpoints.v2/http}, {@code io.statefun.endpoints.v1/http}
 * (see {@link HttpEndpointSpec}), {@code io.statefun.kafka.v1/ingress} (see {@link
 * KafkaIngressSpec}) and {@code io.statefun.kafka.v1/egress} (see {@link KafkaEgressSpec}).
 *
 * <p>Files that StateFun 3.3.0 accepted keep their meaning. Parsing is stricter where StateFun
 * silently ignored or misread input, and each such case fails with a {@link ModuleConfigException}
 * naming the document, kind, key path, value and what was expected:
 *
 * <ul>
 *   <li>unknown kinds (including the AWS Kinesis kinds, which kstatefun does not support), unknown
 *       keys, duplicate keys and keys without a value;
 *   <li>a topic listed twice in one ingress (StateFun kept the last entry) and a target listed
 *       twice for one topic;
 *   <li>a timeout set both directly under {@code transport} and under {@code transport.timeouts}
 *       (StateFun let the nested one win);
 *   <li>a non-numeric {@code transactionTimeoutMillis} (StateFun read it as zero);
 *   <li>UNIX domain socket URLs ({@code http+unix}), which kstatefun does not support.
 * </ul>
 *
 * <p>It is more lenient in a few harmless ways: {@code version: 3.0} may be a number, {@code
 * properties} and {@code offsets} may be plain maps, startup dates may be ISO-8601, and default
 * connect, read and write timeouts are capped at a shorter {@code call} budget instead of being
 * rejected.
 *
 * <p>Stateless and thread-safe.
 */
public final class ModuleParser {

  private ModuleParser() {}

  /**
   * Parses a module file.
   *
   * @param file the file; its path as given is used as the document name in errors and origins
   * @return the module spec
   * @throws ModuleConfigException if the file cannot be read or is invalid
   */
  public static ModuleSpec parse(Path file) {
    Objects.requireNonNull(file, "file");
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModuleConfigException(
          file.toString(), 0, null, null, "cannot read the module file: " + e, e);
    }
    return parse(yaml, file.toString());
  }

  /**
   * Parses the contents of a module file.
   *
   * @param yaml the YAML text
   * @param documentName the name to use in errors and origins, e.g. {@code module.yaml}
   * @return the module spec
   * @throws ModuleConfigException if the module is invalid
   */
  public static ModuleSpec parse(String yaml, String documentName) {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(documentName, "documentName");
    return ModuleReader.read(yaml, documentName);
  }

  /**
   * Parses several module files and merges them, in the given order.
   *
   * @param files the files
   * @return the merged module spec
   * @throws ModuleConfigException if a file is invalid or components of different files conflict
   */
  public static ModuleSpec parseAll(Collection<Path> files) {
    List<ModuleSpec> specs = new ArrayList<>();
    for (Path file : files) {
      specs.add(parse(file));
    }
    return ModuleSpec.merge(specs);
  }
}
