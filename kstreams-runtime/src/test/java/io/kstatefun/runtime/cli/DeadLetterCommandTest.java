package io.kstatefun.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.protocol.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLetterCommandTest {

  private static RecordHeaders headers(String... kv) {
    RecordHeaders h = new RecordHeaders();
    for (int i = 0; i < kv.length; i += 2) {
      h.add(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return h;
  }

  private static ConsumerRecord<byte[], byte[]> dead(
      byte[] key, byte[] value, RecordHeaders headers) {
    return new ConsumerRecord<>(
        "app-dead-letters",
        0,
        42L,
        0L,
        TimestampType.CREATE_TIME,
        -1,
        -1,
        key,
        value,
        headers,
        Optional.empty());
  }

  @Test
  void shouldReinjectAFunctionMessageToTheLoopbackPartitionThatOwnsItsTarget() {
    Envelope envelope =
        Envelope.newBuilder()
            .setTarget(
                Address.newBuilder().setNamespace("example").setType("counter").setId("alice"))
            .build();
    ConsumerRecord<byte[], byte[]> r =
        dead(
            "alice".getBytes(StandardCharsets.UTF_8),
            envelope.toByteArray(),
            headers(
                DeadLetters.FORMAT,
                "envelope",
                DeadLetters.REASON,
                "FUNCTION_CALL_FAILED",
                "trace",
                "t-1"));
    ProducerRecord<byte[], byte[]> out = DeadLetterCommand.reinjection(r, "app-loopback", 8);
    assertThat(out.topic()).isEqualTo("app-loopback");
    assertThat(out.partition()).isEqualTo(AddressPartitioner.partition("alice", 8));
    assertThat(out.key()).isEqualTo("alice".getBytes(StandardCharsets.UTF_8));
    assertThat(out.value()).isEqualTo(envelope.toByteArray());
    assertThat(DeadLetterCommand.header(out.headers(), "trace")).isEqualTo("t-1");
    assertThat(out.headers().lastHeader(DeadLetters.REASON)).isNull();
    assertThat(DeadLetterCommand.header(out.headers(), DeadLetterCommand.REINJECTED_FROM))
        .isEqualTo("app-dead-letters-0@42");
  }

  @Test
  void shouldReinjectAnIngressRecordToItsSourceTopicAndPartition() {
    ConsumerRecord<byte[], byte[]> r =
        dead(
            null,
            "v".getBytes(StandardCharsets.UTF_8),
            headers(
                DeadLetters.FORMAT,
                "ingress",
                DeadLetters.REASON,
                "NULL_KEY",
                DeadLetters.SOURCE_TOPIC,
                "orders",
                DeadLetters.SOURCE_PARTITION,
                "2"));
    ProducerRecord<byte[], byte[]> out = DeadLetterCommand.reinjection(r, null, null);
    assertThat(out.topic()).isEqualTo("orders");
    assertThat(out.partition()).isEqualTo(2);
    assertThat(out.key()).isNull();
    assertThat(out.value()).isEqualTo("v".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldRefuseToReinjectARecordWithoutAKnownFormat() {
    assertThatThrownBy(
            () -> DeadLetterCommand.reinjection(dead(null, new byte[0], headers()), "l", 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kstatefun.dlq.format");
  }

  @Test
  void shouldRefuseToReinjectARecordThatWasDeadLetteredTruncated() {
    ConsumerRecord<byte[], byte[]> r =
        dead(
            "k".getBytes(StandardCharsets.UTF_8),
            new byte[10],
            headers(
                DeadLetters.FORMAT,
                "ingress",
                DeadLetters.REASON,
                "RECORD_TOO_LARGE",
                DeadLetters.SOURCE_TOPIC,
                "orders",
                DeadLetters.TRUNCATED,
                "value",
                DeadLetters.ORIGINAL_VALUE_SIZE,
                "5242880"));
    assertThatThrownBy(() -> DeadLetterCommand.reinjection(r, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large to be dead-lettered whole")
        .hasMessageContaining("5242880");
    assertThat(DeadLetterCommand.describe(r))
        .contains("truncated=value original-value-size=5242880");
  }

  @Test
  void shouldDescribeARecordOnOneLine() {
    ConsumerRecord<byte[], byte[]> r =
        dead(
            null,
            new byte[0],
            headers(
                DeadLetters.FORMAT,
                "envelope",
                DeadLetters.REASON,
                "FUNCTION_CALL_FAILED",
                DeadLetters.ADDRESS,
                "example/counter/alice",
                DeadLetters.SOURCE_TOPIC,
                "in",
                DeadLetters.SOURCE_PARTITION,
                "1",
                DeadLetters.SOURCE_OFFSET,
                "7",
                DeadLetters.ATTEMPTS,
                "5",
                DeadLetters.ERROR_CLASS,
                "io.kstatefun.runtime.internals.http.FunctionCallException",
                DeadLetters.DETAIL,
                "HTTP_5XX calling\nexample/counter/alice"));
    assertThat(DeadLetterCommand.describe(r))
        .isEqualTo(
            "app-dead-letters-0@42 reason=FUNCTION_CALL_FAILED format=envelope address=example/counter/alice"
                + " source=in-1@7 attempts=5 error=FunctionCallException detail=HTTP_5XX calling example/counter/alice");
  }

  @Test
  void shouldExplainUsageMistakes() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        KStatefunCli.run(
            new String[] {"dlq", "--topic", "t"},
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "Missing required option: '--bootstrap-servers=HOST:PORT'", "Usage: kstatefun dlq");
    assertThatThrownBy(
            () ->
                DeadLetterCommand.parse(
                    "--bootstrap-servers", "b", "--topic", "t", "--limit", "-1"))
        .hasMessageContaining("--limit must not be negative");
    assertThatThrownBy(
            () ->
                DeadLetterCommand.parse(
                    "--bootstrap-servers", "b", "--topic", "t", "--loopback-topic", "l"))
        .hasMessageContaining("only makes sense with --reinject");
  }
}
