package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.module.ForwardHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class IngressHeadersTest {

  private static RecordHeaders record() {
    RecordHeaders h = new RecordHeaders();
    h.add("k", "1".getBytes(StandardCharsets.UTF_8));
    h.add("traceparent", "00-abc".getBytes(StandardCharsets.UTF_8));
    h.add("nothing", null);
    h.add("empty", new byte[0]);
    h.add("k", "2".getBytes(StandardCharsets.UTF_8));
    return h;
  }

  private static List<String> render(IngressHeaders.Captured c) {
    return c.headers().stream()
        .map(m -> m.getKey() + "=" + (m.getHasValue() ? m.getValue().toStringUtf8() : "<null>"))
        .toList();
  }

  @Test
  void shouldTakeEveryHeaderInOrderWithNullEmptyAndDuplicates() {
    IngressHeaders.Captured c =
        new IngressHeaders(1000, false).capture(ForwardHeaders.ALL, record());
    assertThat(render(c))
        .containsExactly("k=1", "traceparent=00-abc", "nothing=<null>", "empty=", "k=2");
    assertThat(c.headers().get(2).getHasValue()).isFalse();
    assertThat(c.headers().get(3).getHasValue()).isTrue();
    assertThat(c.bytes()).isEqualTo(1 + 1 + 11 + 6 + 7 + 5 + 1 + 1);
  }

  @Test
  void shouldTakeOnlyAllowedKeysAndTheTraceContextWhenTracing() {
    ForwardHeaders onlyK = ForwardHeaders.only(List.of("k"));
    assertThat(render(new IngressHeaders(1000, false).capture(onlyK, record())))
        .containsExactly("k=1", "k=2");
    assertThat(render(new IngressHeaders(1000, true).capture(onlyK, record())))
        .containsExactly("k=1", "traceparent=00-abc", "k=2");
    assertThat(render(new IngressHeaders(1000, true).capture(ForwardHeaders.NONE, record())))
        .containsExactly("traceparent=00-abc");
  }

  @Test
  void shouldNotLookAtTheHeadersOfATopicThatForwardsNothing() {
    RecordHeaders untouchable =
        new RecordHeaders() {
          @Override
          public Iterator<Header> iterator() {
            throw new AssertionError("headers read");
          }
        };
    IngressHeaders.Captured c =
        new IngressHeaders(1000, false).capture(ForwardHeaders.NONE, untouchable);
    assertThat(c.headers()).isEmpty();
    assertThat(c.headers()).isSameAs(List.<TypedValue.Metadata>of());
  }

  @Test
  void shouldReportHeadersOverTheCap() {
    IngressHeaders small = new IngressHeaders(10, false);
    assertThat(small.tooLarge(small.capture(ForwardHeaders.ALL, record()))).isTrue();
    IngressHeaders enough = new IngressHeaders(33, false);
    assertThat(enough.tooLarge(enough.capture(ForwardHeaders.ALL, record()))).isFalse();
  }
}
