package io.kstatefun.localkafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LocalKafkaClusterIT {

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void survivesTheLossOfOneNodeAndTakesItBack() throws Exception {
    try (LocalKafkaCluster cluster = LocalKafkaCluster.builder().start()) {
      System.out.printf(
          "3-node cluster (processes) ready in %d ms%n", cluster.startupDuration().toMillis());
      assertThat(cluster.nodeIds()).containsExactly(1, 2, 3);
      cluster.createTopic("chaos", 3);

      TopicDescription description;
      try (Admin admin = BrokerAdmin.admin(cluster.bootstrapServers())) {
        description = admin.describeTopics(List.of("chaos")).allTopicNames().get().get("chaos");
        String minIsr =
            admin
                .describeConfigs(
                    List.of(
                        new org.apache.kafka.common.config.ConfigResource(
                            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "chaos")))
                .all()
                .get()
                .values()
                .iterator()
                .next()
                .get("min.insync.replicas")
                .value();
        assertThat(minIsr).isEqualTo("2");
      }
      assertThat(description.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
      int victim = description.partitions().get(0).leader().id();

      List<String> sent = new ArrayList<>();
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(ackAllProps(cluster.bootstrapServers()))) {
        for (int i = 0; i < 10; i++) {
          producer
              .send(new ProducerRecord<>("chaos", "k" + i, "before-" + i))
              .get(30, TimeUnit.SECONDS);
          sent.add("before-" + i);
        }

        long t0 = System.nanoTime();
        cluster.killNode(victim);
        assertThat(cluster.isRunning(victim)).isFalse();
        for (int i = 0; i < 10; i++) {
          producer
              .send(new ProducerRecord<>("chaos", "k" + i, "during-" + i))
              .get(60, TimeUnit.SECONDS);
          sent.add("during-" + i);
        }
        System.out.printf(
            "acks=all produce with node %d killed took %d ms%n",
            victim, (System.nanoTime() - t0) / 1_000_000);

        t0 = System.nanoTime();
        cluster.startNode(victim);
        System.out.printf(
            "node %d restarted in %d ms%n", victim, (System.nanoTime() - t0) / 1_000_000);
        cluster.awaitFullyReplicated(Duration.ofSeconds(60));
        System.out.printf(
            "fully replicated %d ms after the restart began%n",
            (System.nanoTime() - t0) / 1_000_000);

        int other = victim % 3 + 1;
        t0 = System.nanoTime();
        cluster.stopNode(other, false);
        System.out.printf(
            "node %d stopped with SIGTERM in %d ms%n", other, (System.nanoTime() - t0) / 1_000_000);
        producer.send(new ProducerRecord<>("chaos", "k", "after")).get(60, TimeUnit.SECONDS);
        sent.add("after");
        cluster.startNode(other);
      }
      assertThat(LocalKafkaBrokerIT.readCommitted(cluster.bootstrapServers(), "chaos", sent.size()))
          .containsExactlyInAnyOrderElementsOf(sent);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void runsInOneJvmToo() throws Exception {
    try (LocalKafkaCluster cluster =
        LocalKafkaCluster.builder().mode(LocalKafkaCluster.Mode.IN_JVM).start()) {
      System.out.printf(
          "3-node cluster (in JVM) ready in %d ms%n", cluster.startupDuration().toMillis());
      cluster.createTopic("local", 2);
      cluster.stopNode(2, false);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(ackAllProps(cluster.bootstrapServers()))) {
        producer.send(new ProducerRecord<>("local", "k", "v")).get(60, TimeUnit.SECONDS);
      }
      cluster.startNode(2);
      assertThat(cluster.isRunning(2)).isTrue();
      assertThat(LocalKafkaBrokerIT.readCommitted(cluster.bootstrapServers(), "local", 1))
          .containsExactly("v");
    }
  }

  private static Properties ackAllProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }
}
