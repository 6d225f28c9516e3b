package io.kstatefun.chaos.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerArgsTest {

  @Test
  void shouldParseWhatTheHarnessPasses() {
    ServerArgs a = ServerArgs.parse(new String[] {"--events-topic", "e", "--egress-topic", "g"});
    assertThat(a.eventsTopic()).isEqualTo("e");
    assertThat(a.egressTopic()).isEqualTo("g");
    assertThat(a.port()).isZero();
    assertThat(
            ServerArgs.parse(
                    new String[] {"--events-topic", "e", "--egress-topic", "g", "--port", "8000"})
                .port())
        .isEqualTo(8000);
  }

  @Test
  void shouldRejectAMissingTopicOrAnUnknownOption() {
    assertThatThrownBy(() -> ServerArgs.parse(new String[] {"--events-topic", "e"}))
        .hasMessageContaining("--egress-topic");
    assertThatThrownBy(
            () ->
                ServerArgs.parse(
                    new String[] {"--events-topic", "e", "--egress-topic", "g", "--x", "1"}))
        .hasMessageContaining("--x");
  }
}
