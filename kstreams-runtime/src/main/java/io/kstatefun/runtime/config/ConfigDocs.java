package io.kstatefun.runtime.config;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Generates {@code docs/configuration.md} from {@link KStatefunConfig#DEFINITION} and {@link
 * KStatefunConfig#streamsDefaults()}, so the reference cannot drift from the code (a test compares
 * the file with this output).
 *
 * <p>Regenerate: {@code mvn -pl kstreams-runtime test -Dtest=ConfigDocsTest
 * -Dkstatefun.updateDocs=true}.
 */
public final class ConfigDocs {

  private ConfigDocs() {}

  public static void main(String[] args) {
    System.out.print(markdown());
  }

  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n")
        .append("<!-- Generated from KStatefunConfig by ConfigDocs; do not edit by hand. -->\n\n")
        .append(
            "A runtime instance takes Kafka Streams and Kafka client properties (passed through\n")
        .append(
            "unchanged) and the `kstatefun.*` properties below. On the command line, give them with\n")
        .append(
            "`bin/kstatefun run --set KEY=VALUE`; in code, in the map passed to `KStatefunRuntime.start`.\n\n")
        .append("## kstatefun properties\n\n")
        .append("| key | type | default | valid values | description |\n")
        .append("|---|---|---|---|---|\n");
    for (ConfigDef.ConfigKey key : KStatefunConfig.DEFINITION.configKeys().values()) {
      md.append("| `")
          .append(key.name)
          .append("` | ")
          .append(key.type.name().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(defaultOf(key))
          .append(" | ")
          .append(key.validator == null ? "" : escape(key.validator.toString()))
          .append(" | ")
          .append(escape(key.documentation))
          .append(" |\n");
    }
    md.append("\n## Kafka Streams settings kstatefun chooses\n\n")
        .append("These differ from Kafka Streams' own defaults; any value you set wins.\n\n")
        .append("| key | kstatefun default |\n|---|---|\n");
    Map<String, Object> defaults = new TreeMap<>(KStatefunConfig.streamsDefaults());
    defaults.forEach(
        (k, v) -> md.append("| `").append(k).append("` | `").append(v).append("` |\n"));
    md.append(
            "| `topic.max.message.bytes` | the producer's `max.request.size` (1048576 unless you set "
                + "`producer.max.request.size`), so the changelog topics accept every record the runtime writes |\n")
        .append(
            "\nA `processing.guarantee` other than `exactly_once_v2` is refused at start-up unless `")
        .append(KStatefunConfig.ALLOW_AT_LEAST_ONCE_CONFIG)
        .append("=true`.\n");
    return md.toString();
  }

  private static String defaultOf(ConfigDef.ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    Object v = key.defaultValue;
    return v == null || v.toString().isEmpty() ? "\"\"" : "`" + v + "`";
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
