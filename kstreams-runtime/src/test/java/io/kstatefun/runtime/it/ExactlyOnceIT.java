package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.localkafka.LocalKafkaBroker;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real KRaft broker: functions written only against the official StateFun Java
 * SDK 3.3.0, served over HTTP, run on kstatefun. The ingress topic has 3 partitions and the
 * loopback topic 8, so most ingress records are re-routed, and every counter message crosses
 * partitions to reach its forwarder. Output is read with read_committed.
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
  void shouldProduceEveryRecordExactlyOnceWithOfficialSdkFunctions(@TempDir Path dir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, out, 1));
    CounterWorkload workload = new CounterWorkload(20);
    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        KStatefunRuntime runtime =
            KStatefunRuntime.start(
                ModuleParser.parse(CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in)),
                KafkaIO.runtimeProps("app-" + suffix, kafka.bootstrapServers(), dir.resolve("state").toString()));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader = KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
      workload.send(producer, in, 25);

      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();
      KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(90));
      KafkaIO.drain(reader, egress, Duration.ofSeconds(2));
      workload.verify(egress);
    }
  }

  @Test
  @Timeout(300)
  void shouldLoseAndDuplicateNothingWhenTheRuntimeIsKilledMidStream(@TempDir Path dir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 3, out, 1));
    CounterWorkload workload = new CounterWorkload(20);
    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader = KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module = CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
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
      KafkaIO.readUntil(reader, egress, e -> e.size() >= workload.expectedTotal() / 2, Duration.ofSeconds(60));
      workload.send(producer, in, 10);
      Thread.sleep(150);
      first.kill();
      int beforeKill = egress.size();

      workload.send(producer, in, 5); // arrives while no runtime runs
      try (RuntimeProcess second = RuntimeProcess.start("runtime-2", args)) {
        assertThat(second.awaitRunning(Duration.ofSeconds(90))).as("second runtime running").isTrue();
        workload.send(producer, in, 5);
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(120));
        KafkaIO.drain(reader, egress, Duration.ofSeconds(3));
        assertThat(second.stop()).as("exit code after SIGTERM (143 = terminated by SIGTERM after shutdown hooks)").isIn(0, 143);
      }
      assertThat(beforeKill).as("output was flowing before the kill").isPositive();
      workload.verify(egress);
    }
  }
}
