package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.HeaderChain;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka record headers end to end on a real KRaft broker: ingress -> {@code example/counter} (the
 * official StateFun SDK 3.3.0) -> {@code example/forwarder} (kstatefun's SDK: reads the headers and
 * adds two) -> Kafka egress. The official SDK cannot see or set headers; it receives them in {@code
 * TypedValue.metadata}, ignores them and works unchanged, and the message it sends inherits them.
 */
class HeadersIT {

  private static LocalKafkaBroker kafka;

  @BeforeAll
  static void startKafka() {
    kafka = LocalKafkaBroker.builder().start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @Timeout(180)
  void shouldCarryHeadersThroughAnOfficialSdkFunctionAndOursToTheEgress(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String plain = "plain-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, plain, 1, out, 1));
    // Requests to the official SDK that carried headers in TypedValue.metadata.
    AtomicInteger officialRequestsWithHeaders = new AtomicInteger();
    Function<byte[], CompletableFuture<byte[]>> official = OfficialSdkCounter.handler(out);
    Function<byte[], CompletableFuture<byte[]>> spy =
        body -> {
          if (carriesMetadata(body)) {
            officialRequestsWithHeaders.incrementAndGet();
          }
          return official.apply(body);
        };
    int n = 6;
    try (FunctionHttpServer counter = new FunctionHttpServer(spy);
        FunctionHttpServer forwarder = new FunctionHttpServer(HeaderChain.forwarder(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module =
          HeaderChain.writeModule(
              dir,
              counter.urlTemplate(),
              forwarder.urlTemplate(),
              kafka.bootstrapServers(),
              in,
              plain);
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
      try (KStatefunRuntime runtime =
          KStatefunRuntime.start(
              ModuleParser.parse(module),
              KafkaIO.runtimeProps(
                  "app-" + suffix, kafka.bootstrapServers(), dir.resolve("state").toString()))) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (int i = 0; i < n; i++) {
          // One record per id: every batch is a batch of one, whose headers its outputs inherit.
          producer.send(record(in, "user-" + i, "hello-" + i));
        }
        producer.send(record(plain, "plain-0", "unheard"));
        producer.flush();
        KafkaIO.readUntil(reader, egress, e -> e.size() >= n + 1, Duration.ofSeconds(90));
      }
      assertThat(egress).hasSize(n + 1);
      for (ConsumerRecord<byte[], byte[]> r : egress) {
        String key = KafkaIO.utf8(r.key());
        String value = KafkaIO.utf8(r.value());
        if (key.equals("plain-0-fwd")) {
          // forwardHeaders: false on this topic: only what the forwarder added.
          assertThat(value).isEqualTo("plain-0:1:unheard");
          assertThat(render(r)).containsExactly("x-seen-by=forwarder", "x-dup=3");
          continue;
        }
        String id = key.substring(0, key.length() - "-fwd".length());
        // The official SDK function worked unchanged: it counted and forwarded its text.
        assertThat(value).isEqualTo(id + ":1:hello-" + id.substring("user-".length()));
        assertThat(render(r))
            .containsExactly(
                "x-correlation-id=corr-" + id,
                "x-null=<null>",
                "x-dup=1",
                "x-empty=",
                "x-dup=2",
                "x-seen-by=forwarder",
                "x-dup=3");
        assertThat(r.headers().lastHeader("x-null").value()).isNull();
        assertThat(r.headers().lastHeader("x-empty").value()).isEmpty();
        assertThat(KafkaIO.utf8(r.headers().lastHeader("x-dup").value())).isEqualTo("3");
      }
      assertThat(officialRequestsWithHeaders.get())
          .as("the official SDK function received (and ignored) headers")
          .isPositive();
      assertThat(counter.traceparents()).as("no trace context with tracing off").isEmpty();
    }
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String key, String value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("x-correlation-id", ("corr-" + key).getBytes(StandardCharsets.UTF_8));
    headers.add("x-null", null);
    headers.add("x-dup", "1".getBytes(StandardCharsets.UTF_8));
    headers.add("x-empty", new byte[0]);
    headers.add("x-dup", "2".getBytes(StandardCharsets.UTF_8));
    return new ProducerRecord<>(
        topic,
        null,
        key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        headers);
  }

  /** The record's headers as {@code key=value} ({@code <null>} for a null value), in order. */
  private static List<String> render(ConsumerRecord<byte[], byte[]> r) {
    List<String> out = new ArrayList<>();
    for (Header h : r.headers()) {
      out.add(h.key() + "=" + (h.value() == null ? "<null>" : KafkaIO.utf8(h.value())));
    }
    return out;
  }

  private static boolean carriesMetadata(byte[] request) {
    try {
      return ToFunction.parseFrom(request).getInvocation().getInvocationsList().stream()
          .anyMatch(i -> i.getArgument().getMetadataCount() > 0);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
