package io.kstatefun.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LocalKafkaBrokerIT {

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void transactionalRecordsAreReadCommitted() throws Exception {
    Path dir;
    long t0 = System.nanoTime();
    try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start()) {
      System.out.printf("LocalKafkaBroker ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      dir = kafka.logDir();
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());
      assertThat(kafka.isRunning()).isTrue();

      kafka.createTopics(Map.of("committed", 3, "other", 1));
      assertThatThrownBy(() -> kafka.createTopic("other", 1))
          .isInstanceOf(IllegalStateException.class);

      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(producerProps(kafka.bootstrapServers()))) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("committed", "k1", "committed-1"));
        producer.send(new ProducerRecord<>("committed", "k2", "committed-2"));
        producer.commitTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("committed", "k3", "aborted"));
        producer.flush();
        producer.abortTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("committed", "k4", "committed-3"));
        producer.commitTransaction();
      }

      assertThat(readCommitted(kafka.bootstrapServers(), "committed", 3))
          .containsExactlyInAnyOrder("committed-1", "committed-2", "committed-3");
    }
    assertThat(Files.exists(dir)).as("temporary log dir deleted").isFalse();
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void persistentDirIsReusedWithSameClusterId() throws Exception {
    Path dir = Files.createTempDirectory("kstatefun-kafka-it-");
    try {
      String clusterId;
      int controllerPort;
      try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().logDir(dir).start()) {
        clusterId = kafka.clusterId();
        controllerPort = kafka.controllerPort();
        kafka.createTopic("kept", 1);
      }
      assertThat(dir.resolve(LocalKafkaBroker.META_PROPERTIES)).exists();
      try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().logDir(dir).start()) {
        assertThat(kafka.clusterId()).isEqualTo(clusterId);
        assertThat(kafka.controllerPort()).isEqualTo(controllerPort);
        assertThatThrownBy(() -> kafka.createTopic("kept", 1)).hasMessageContaining("kept");
      }
      assertThatThrownBy(
              () ->
                  LocalKafkaBroker.builder()
                      .logDir(dir)
                      .clusterId(UUID.randomUUID().toString())
                      .start())
          .hasMessageContaining("belongs to cluster");
    } finally {
      KafkaSupport.deleteRecursively(dir);
    }
  }

  static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-" + UUID.randomUUID());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }

  static List<String> readCommitted(String bootstrap, String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
      // a little longer, to catch records that should not be there
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
        values.add(r.value());
      }
    }
    return values;
  }
}
