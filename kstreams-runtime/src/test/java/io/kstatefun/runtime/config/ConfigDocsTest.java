package io.kstatefun.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void shouldKeepTheConfigurationReferenceInSyncWithTheCode() throws Exception {
    String generated = ConfigDocs.markdown();
    if (Boolean.getBoolean("kstatefun.updateDocs")) {
      Files.createDirectories(DOC.getParent());
      Files.writeString(DOC, generated, StandardCharsets.UTF_8);
    }
    assertThat(DOC).exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
        .as(
            "docs/configuration.md is stale: regenerate with "
                + "mvn -pl kstreams-runtime test -Dtest=ConfigDocsTest -Dkstatefun.updateDocs=true")
        .isEqualTo(generated);
  }

  @Test
  void shouldDocumentEveryKey() {
    for (var key : KStatefunConfig.DEFINITION.configKeys().values()) {
      assertThat(key.documentation).as(key.name).isNotBlank();
      assertThat(ConfigDocs.markdown()).contains("`" + key.name + "`");
    }
  }
}
