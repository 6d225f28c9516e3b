package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.testing.CounterWorkload;
import io.kstatefun.runtime.testing.FunctionHttpServer;
import io.kstatefun.runtime.testing.KafkaIO;
import io.kstatefun.runtime.testing.OfficialSdkCounter;
import io.kstatefun.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same-thread delivery end to end on a real KRaft broker: every counter message crosses partitions
 * to reach its forwarder, and with one stream thread per instance both tasks are usually on the
 * same thread, so the hop goes straight into the forwarder's mailbox. The run has a second instance
 * joining (rebalance), a kill -9 of the first with calls in flight and transactions open, and its
 * restart; the egress, read with read_committed, must hold every record exactly once and in order
 * per id, and the direct route must have been taken.
 */
class SameThreadDeliveryIT {

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
  @Timeout(420)
  void shouldDeliverAcrossPartitionsOnOneThreadExactlyOnceThroughRebalanceAndKill(@TempDir Path dir)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String in = "in-" + suffix;
    String out = "out-" + suffix;
    kafka.createTopics(Map.of(in, 8, out, 1));
    CounterWorkload workload = new CounterWorkload(24);
    try (FunctionHttpServer functions = new FunctionHttpServer(OfficialSdkCounter.handler(out));
        KafkaProducer<byte[], byte[]> producer = KafkaIO.producer(kafka.bootstrapServers());
        KafkaConsumer<byte[], byte[]> reader =
            KafkaIO.committedReader(kafka.bootstrapServers(), out)) {
      Path module =
          CounterWorkload.writeModule(dir, functions.urlTemplate(), kafka.bootstrapServers(), in);
      List<String> common =
          List.of(
              "--module",
              module.toString(),
              "--application-id",
              "app-" + suffix,
              "--set",
              "kstatefun.partitions=8");
      int adminA = RuntimeProcess.freePort();
      int adminB = RuntimeProcess.freePort();
      List<String> argsA = RuntimeProcess.instanceArgs(common, dir.resolve("state-a"), adminA);
      List<String> argsB = RuntimeProcess.instanceArgs(common, dir.resolve("state-b"), adminB);
      List<ConsumerRecord<byte[], byte[]>> egress = new ArrayList<>();

      RuntimeProcess a = RuntimeProcess.start("runtime-A", argsA);
      RuntimeProcess b = null;
      RuntimeProcess a2 = null;
      try {
        assertThat(a.awaitRunning(Duration.ofSeconds(90))).as("A running").isTrue();
        for (int wave = 0; wave < 4; wave++) {
          workload.send(producer, in, 2);
          KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(60));
        }
        long directOnA = sameThreadDeliveries(adminA);
        System.out.printf("A alone: %d same-thread deliveries%n", directOnA);
        assertThat(directOnA).as("messages delivered on A's stream thread").isPositive();

        // B joins while messages flow: partitions move, A's transaction commits first.
        workload.send(producer, in, 4);
        b = RuntimeProcess.start("runtime-B", argsB);
        for (int wave = 0; wave < 6; wave++) {
          workload.send(producer, in, 1);
        }
        assertThat(b.awaitRunning(Duration.ofSeconds(90))).as("B running").isTrue();
        await("the partitions split between A and B")
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    !RuntimeProcess.activePartitions(adminA).isEmpty()
                        && !RuntimeProcess.activePartitions(adminB).isEmpty());
        workload.send(producer, in, 4);
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(120));

        // kill -9 A with messages in flight, then restart it.
        workload.send(producer, in, 4);
        a.kill();
        workload.send(producer, in, 2);
        a2 = RuntimeProcess.start("runtime-A2", argsA);
        assertThat(a2.awaitRunning(Duration.ofSeconds(90))).as("A restarted").isTrue();
        workload.send(producer, in, 4);
        KafkaIO.readUntil(reader, egress, workload::complete, Duration.ofSeconds(180));
        long directAfter = sameThreadDeliveries(adminA) + sameThreadDeliveries(adminB);
        System.out.printf(
            "after the rebalance and restart: %d same-thread deliveries%n", directAfter);
        assertThat(b.stop()).as("B exit code").isIn(0, 143);
        assertThat(a2.stop()).as("A2 exit code").isIn(0, 143);
      } finally {
        a.close();
        if (b != null) {
          b.close();
        }
        if (a2 != null) {
          a2.close();
        }
      }
      KafkaIO.readToEnd(reader, egress, Duration.ofSeconds(30));
      workload.verify(egress);
    }
  }

  /** The instance's {@code kstatefun.messages.same.thread} counter, summed over function types. */
  private static long sameThreadDeliveries(int adminPort) throws IOException {
    HttpURLConnection c =
        (HttpURLConnection)
            URI.create("http://127.0.0.1:" + adminPort + "/metrics").toURL().openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(5000);
    String metrics;
    try (var body = c.getInputStream()) {
      metrics = new String(body.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher m =
        Pattern.compile("(?m)^kstatefun_messages_same_thread_total\\{[^}]*\\} ([0-9.E+]+)$")
            .matcher(metrics);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return (long) total;
  }
}
