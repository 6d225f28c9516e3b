package io.kstatefun.examples.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.examples.dev.ExampleModule;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.KStatefunRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Starting an example's module on a kstatefun runtime in this JVM, and feeding its ingress. */
public final class ExampleRuntime {

  private ExampleRuntime() {}

  /**
   * Starts a runtime for {@code example}'s module.yaml, pointed at {@code kafka} and at functions
   * served under {@code functionBaseUrl}, and waits until it runs. The application id is unique.
   */
  public static KStatefunRuntime start(
      LocalKafkaBroker kafka, String example, String functionBaseUrl, Path stateDir)
      throws InterruptedException {
    return start(kafka, example, functionBaseUrl, stateDir, uniqueApplicationId(example));
  }

  /** A fresh application id for {@code example}. */
  public static String uniqueApplicationId(String example) {
    return example + "-it-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Like {@link #start(LocalKafkaBroker, String, String, Path)} with a given application id. */
  public static KStatefunRuntime start(
      LocalKafkaBroker kafka,
      String example,
      String functionBaseUrl,
      Path stateDir,
      String applicationId)
      throws InterruptedException {
    return start(kafka, example, functionBaseUrl, stateDir, applicationId, Map.of());
  }

  /** Like {@link #start(LocalKafkaBroker, String, String, Path, String)} with more settings. */
  public static KStatefunRuntime start(
      LocalKafkaBroker kafka,
      String example,
      String functionBaseUrl,
      Path stateDir,
      String applicationId,
      Map<String, Object> settings)
      throws InterruptedException {
    Map<String, Object> props = new java.util.HashMap<>(settings);
    props.put("application.id", applicationId);
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("state.dir", stateDir.toString());
    props.putIfAbsent("kstatefun.partitions", 4);
    KStatefunRuntime runtime =
        KStatefunRuntime.start(
            ExampleModule.load(example, kafka.bootstrapServers(), functionBaseUrl), props);
    boolean running = false;
    try {
      running = runtime.awaitRunning(Duration.ofSeconds(90));
    } finally {
      if (!running) {
        runtime.close();
      }
    }
    assertThat(running).as("runtime for %s running", example).isTrue();
    return runtime;
  }

  /** A producer of plain byte records (as any Kafka client would write them). */
  public static KafkaProducer<byte[], byte[]> producer(LocalKafkaBroker kafka) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            0),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** Sends one UTF-8 record and waits until the broker has it. */
  public static void send(
      KafkaProducer<byte[], byte[]> producer, String topic, String key, String value) {
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  key.getBytes(StandardCharsets.UTF_8),
                  value.getBytes(StandardCharsets.UTF_8)))
          .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot send to " + topic, e.getCause());
    }
  }

  /** Closes each of {@code resources} that is set, in order, going on past failures. */
  public static void closeAll(AutoCloseable... resources) {
    for (AutoCloseable c : resources) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }
}
