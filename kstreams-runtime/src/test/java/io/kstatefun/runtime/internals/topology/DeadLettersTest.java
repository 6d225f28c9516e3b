package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  private static Headers headers(String traceId) {
    RecordHeaders original = new RecordHeaders();
    original.add("trace-id", traceId.getBytes(StandardCharsets.UTF_8));
    return DeadLetters.forIngress(
        original, "RECORD_TOO_LARGE", "too large", "x.Y", "in", 0, 5, 1, 2);
  }

  private static String header(Headers h, String key) {
    var header = h.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static int size(DeadLetters.Fitted f) {
    return (f.key() == null ? 0 : f.key().length)
        + (f.value() == null ? 0 : f.value().length)
        + DeadLetters.size(f.headers());
  }

  @Test
  void shouldKeepARecordThatFitsAsItIs() {
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    byte[] value = new byte[1000];
    Headers h = headers("t");
    DeadLetters.Fitted f = DeadLetters.fit(key, value, h, 2000);
    assertThat(f.key()).isSameAs(key);
    assertThat(f.value()).isSameAs(value);
    assertThat(f.headers()).isSameAs(h);
    assertThat(f.headers().lastHeader(DeadLetters.TRUNCATED)).isNull();
  }

  @Test
  void shouldCutTheValueToFitAndSayHowLargeItWas() {
    byte[] value = new byte[10_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    DeadLetters.Fitted f =
        DeadLetters.fit("k".getBytes(StandardCharsets.UTF_8), value, headers("t"), 4000);
    assertThat(size(f)).isLessThanOrEqualTo(4000).isGreaterThan(3000);
    assertThat(f.value()).isEqualTo(Arrays.copyOf(value, f.value().length));
    assertThat(header(f.headers(), DeadLetters.TRUNCATED)).isEqualTo("value");
    assertThat(header(f.headers(), DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo("10000");
    assertThat(header(f.headers(), DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo("1");
    assertThat(header(f.headers(), "trace-id")).isEqualTo("t");
    assertThat(header(f.headers(), DeadLetters.REASON)).isEqualTo("RECORD_TOO_LARGE");
    assertThat(header(f.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("5");
  }

  @Test
  void shouldDropOriginalHeadersThenCutTheKeyWhenTheyAloneDoNotFit() {
    DeadLetters.Fitted f =
        DeadLetters.fit(new byte[3000], new byte[100], headers("x".repeat(3000)), 4000);
    assertThat(size(f)).isLessThanOrEqualTo(4000);
    assertThat(header(f.headers(), DeadLetters.TRUNCATED)).isEqualTo("headers");
    assertThat(header(f.headers(), "trace-id")).isNull();
    assertThat(f.key()).hasSize(3000);
    assertThat(f.value()).hasSize(100);

    DeadLetters.Fitted keyCut = DeadLetters.fit(new byte[10_000], null, headers("t"), 4000);
    assertThat(size(keyCut)).isLessThanOrEqualTo(4000);
    assertThat(header(keyCut.headers(), DeadLetters.TRUNCATED)).isEqualTo("headers,key");
    assertThat(header(keyCut.headers(), DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo("10000");
    assertThat(header(keyCut.headers(), DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo("-1");
    assertThat(keyCut.value()).isNull();
  }

  @Test
  void shouldCapLongHeaderValues() {
    Headers h = DeadLetters.forIngress(null, "R", "d".repeat(100_000), null, "in", 0, 1, 1, 1);
    assertThat(header(h, DeadLetters.DETAIL))
        .hasSizeLessThanOrEqualTo(DeadLetters.MAX_HEADER_CHARS)
        .startsWith("ddd")
        .endsWith("(100000 characters)");
    assertThat(DeadLetters.size(h)).isLessThan(RecordSizes.DEAD_LETTER_HEADROOM);
  }
}
