package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.runtime.testing.CounterWorkload;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import io.kstatefun.runtime.testing.RuntimeProcess;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real KRaft broker: functions written only against the official StateFun Java SDK
 * 3.3.0, served over HTTP, run on kstatefun. The ingress topic has 3 partitions and the loopback
 * topic 8, so most ingress records are re-routed, and every counter message crosses partitions to
 * reach its forwarder. Output is read with read_committed.
 */
class ExactlyOnceIT {

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
  void shouldProduceEveryRecordExactlyOnceWithOfficialSdkFunctions(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, out, 1));
    CounterWorkload workload = new CounterWorkload(20);
    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
      try (KStatefunRuntime runtime =
          KStatefunRuntime.start(
              ModuleParser.parse(
                  CounterWorkload.writeModule(
                      dir, functions.urlTemplate(), kafka.bootstrapServers(), in)),
              KafkaIO.runtimeProps(
                  "app-" + suffix, kafka.bootstrapServers(), dir.resolve("state").toString()))) {
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        workload.send(producer, in, 25);
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(90));
      }
      // The runtime closed cleanly: what is committed now is all there will ever be.
      KafkaIO.readToEnd(reader, egress, Duration.ofSeconds(30));
      workload.verify(egress);
    }
  }

  @Test
  @Timeout(300)
  void shouldLoseAndDuplicateNothingWhenTheRuntimeIsKilledMidStream(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, out, 1));
    CounterWorkload workload = new CounterWorkload(20);
    // The highest payload sequence number (id#seq) the counter function was called with so far.
    AtomicInteger highestCalled = new AtomicInteger();
    Function<byte[], CompletableFuture<byte[]>> counter = OfficialSdkCounter.handler(out);
    Function<byte[], CompletableFuture<byte[]>> spy =
        body -> {
          highestCalled.accumulateAndGet(highestSequence(body), Math::max);
          return counter.apply(body);
        };
    try (FunctionHttpServer functions = new FunctionHttpServer(spy);
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module =
          CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
      List<String> args =
          List.of(
              "--module", module.toString(),
              "--application-id", "app-" + suffix,
              "--state-dir", dir.resolve("state").toString());
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();

      RuntimeProcess first = RuntimeProcess.start("runtime-1", args);
      assertThat(first.awaitRunning(Duration.ofSeconds(90))).as("first runtime running").isTrue();
      workload.send(producer, in, 10);
      // Kill while the second wave is being processed: calls in flight, transactions open.
      KafkaIO.readUntil(
          reader, egress, e -> e.size() >= workload.expectedTotal() / 2, Duration.ofSeconds(60));
      workload.send(producer, in, 10);
      await("the second wave (payloads #11..#20) reached the function")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> highestCalled.get() > 10);
      first.kill();
      int beforeKill = egress.size();

      workload.send(producer, in, 5); // arrives while no runtime runs
      try (RuntimeProcess second = RuntimeProcess.start("runtime-2", args)) {
        assertThat(second.awaitRunning(Duration.ofSeconds(90)))
            .as("second runtime running")
            .isTrue();
        workload.send(producer, in, 5);
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(120));
        assertThat(second.stop())
            .as("exit code after SIGTERM (143 = terminated by SIGTERM after shutdown hooks)")
            .isIn(0, 143);
      }
      // Both instances are gone: what is committed now is all there will ever be.
      KafkaIO.readToEnd(reader, egress, Duration.ofSeconds(30));
      assertThat(beforeKill).as("output was flowing before the kill").isPositive();
      workload.verify(egress);
    }
  }

  /** The highest {@code #seq} among the payloads of a request (0 if none carries one). */
  private static int highestSequence(byte[] request) {
    int highest = 0;
    try {
      for (ToFunction.Invocation i :
          ToFunction.parseFrom(request).getInvocation().getInvocationsList()) {
        String payload = i.getArgument().getValue().toStringUtf8();
        int hash = payload.lastIndexOf('#');
        if (hash >= 0 && payload.substring(hash + 1).matches("\\d+")) {
          highest = Math.max(highest, Integer.parseInt(payload.substring(hash + 1)));
        }
      }
    } catch (InvalidProtocolBufferException e) {
      // not a request of the protocol: the handler will answer it with an error
    }
    return highest;
  }
}
