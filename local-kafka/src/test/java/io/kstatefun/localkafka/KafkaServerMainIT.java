package io.kstatefun.localkafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KafkaServerMainIT {

  private final List<Process> children = new ArrayList<>();
  private Path root;

  @AfterEach
  void cleanUp() {
    children.forEach(Process::destroyForcibly);
    KafkaSupport.deleteRecursively(root);
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void restartsOnTheSameDirectoryAndKeepsRecords() throws Exception {
    root = Files.createTempDirectory("kstatefun-kafka-main-it-");
    Path dir = root.resolve("data"); // created by the broker
    int port = KafkaSupport.freePort();

    long t0 = System.nanoTime();
    Child first = Child.start(dir, port);
    children.add(first.process);
    String bootstrap = first.awaitReady(90);
    System.out.printf(
        "KafkaServerMain (child JVM) ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    assertThat(bootstrap).isEqualTo("127.0.0.1:" + port);
    String clusterId =
        KafkaSupport.readProperties(dir.resolve("meta.properties")).getProperty("cluster.id");

    BrokerAdmin.createTopics(
        bootstrap,
        List.of(new org.apache.kafka.clients.admin.NewTopic("durable", 1, (short) 1)),
        java.time.Duration.ofSeconds(30));
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(LocalKafkaBrokerIT.producerProps(bootstrap))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("durable", "k", "before-restart"));
      producer.commitTransaction();
    }

    first.process.destroy(); // SIGTERM
    assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();

    t0 = System.nanoTime();
    Child second = Child.start(dir, port);
    children.add(second.process);
    assertThat(second.awaitReady(90)).isEqualTo(bootstrap);
    System.out.printf(
        "KafkaServerMain restart ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    assertThat(
            KafkaSupport.readProperties(dir.resolve("meta.properties")).getProperty("cluster.id"))
        .isEqualTo(clusterId);

    assertThat(LocalKafkaBrokerIT.readCommitted(bootstrap, "durable", 1))
        .containsExactly("before-restart");

    second.process.destroy();
    assertThat(second.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.output()).doesNotContain("Exception in thread \"main\"");
  }

  /** A broker JVM running {@link KafkaServerMain}, with its output collected. */
  private static final class Child {
    final Process process;
    final CompletableFuture<String> ready = new CompletableFuture<>();
    final StringBuffer output = new StringBuffer();

    private Child(Process process) {
      this.process = process;
      Thread pump = new Thread(this::pump, "child-output");
      pump.setDaemon(true);
      pump.start();
    }

    static Child start(Path dir, int port) throws IOException {
      List<String> cmd =
          List.of(
              Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx512m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              System.getProperty("java.class.path"),
              KafkaServerMain.class.getName(),
              "--port",
              Integer.toString(port),
              "--dir",
              dir.toString(),
              "--parent-pid",
              Long.toString(ProcessHandle.current().pid()));
      return new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    private void pump() {
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          output.append(line).append('\n');
          if (line.startsWith(KafkaServerMain.READY_PREFIX)) {
            ready.complete(line.substring(KafkaServerMain.READY_PREFIX.length()).trim());
          }
        }
      } catch (IOException ignored) {
        // process gone
      } finally {
        ready.completeExceptionally(
            new IllegalStateException("broker exited before ready:\n" + output));
      }
    }

    String awaitReady(int seconds) throws Exception {
      return ready.get(seconds, TimeUnit.SECONDS);
    }

    String output() {
      return output.toString();
    }
  }
}
