package io.kstatefun.chaos.harness;

import io.kstatefun.localkafka.LocalKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The Kafka cluster of a chaos run: {@link LocalKafkaCluster} (every broker its own JVM, KRaft,
 * replication factor 3 and min ISR 2 for every topic on 3 brokers), shared by the rounds; each
 * round creates and deletes its own topics.
 *
 * <p>Threading: thread-safe.
 */
public final class ChaosKafka implements AutoCloseable {

  private final LocalKafkaCluster cluster;
  private final Admin admin;
  private final int replicationFactor;

  private ChaosKafka(LocalKafkaCluster cluster, int replicationFactor) {
    this.cluster = cluster;
    this.replicationFactor = replicationFactor;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 120_000);
    this.admin = Admin.create(p);
  }

  /** Starts {@code brokers} broker processes under {@code dir}. */
  public static ChaosKafka start(int brokers, Path dir) {
    int rf = Math.min(3, brokers);
    LocalKafkaCluster cluster =
        LocalKafkaCluster.builder()
            .nodes(brokers)
            .replicationFactor(rf)
            .minInsyncReplicas(Math.max(1, rf - 1))
            .baseDir(dir)
            .jvmOptions(
                List.of(
                    "-Xms64m",
                    "-Xmx448m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Djava.awt.headless=true"))
            // Smaller internal topics: fewer partitions to move around after a broker restart.
            .brokerProperty("offsets.topic.num.partitions", "4")
            .brokerProperty("transaction.state.log.num.partitions", "4")
            .start();
    return new ChaosKafka(cluster, rf);
  }

  /**
   * Sets the cluster's {@code transaction.version} feature (1: the classic protocol, 2: the KIP-890
   * protocol, the 4.x default) and returns the finalized level.
   */
  public short transactionVersion(short version) {
    try {
      short current = finalizedTransactionVersion();
      if (current != version) {
        admin
            .updateFeatures(
                Map.of(
                    "transaction.version",
                    new org.apache.kafka.clients.admin.FeatureUpdate(
                        version,
                        version < current
                            ? org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType
                                .SAFE_DOWNGRADE
                            : org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.UPGRADE)),
                new org.apache.kafka.clients.admin.UpdateFeaturesOptions())
            .all()
            .get(60, TimeUnit.SECONDS);
      }
      return finalizedTransactionVersion();
    } catch (Exception e) {
      throw new IllegalStateException("cannot set transaction.version to " + version + ": " + e, e);
    }
  }

  /** The finalized {@code transaction.version} (0 if unset). */
  public short finalizedTransactionVersion() throws Exception {
    var range =
        admin
            .describeFeatures()
            .featureMetadata()
            .get(60, TimeUnit.SECONDS)
            .finalizedFeatures()
            .get("transaction.version");
    return range == null ? 0 : range.maxVersionLevel();
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  public int brokers() {
    return cluster.size();
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  /** Creates topics (name to partitions) with the cluster's replication factor. */
  public void createTopics(Map<String, Integer> topics) {
    List<NewTopic> list = new ArrayList<>();
    topics.forEach(
        (name, partitions) -> list.add(new NewTopic(name, partitions, (short) replicationFactor)));
    cluster.createTopics(list);
  }

  /** Deletes every topic whose name starts with {@code prefix}; best effort. */
  public void deleteTopicsWithPrefix(String prefix) {
    try {
      Set<String> names = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<String> doomed = names.stream().filter(n -> n.startsWith(prefix)).toList();
      if (!doomed.isEmpty()) {
        admin.deleteTopics(doomed).all().get(120, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println("[chaos] could not delete topics " + prefix + "*: " + e);
    }
  }

  public void killBroker(int nodeId) {
    cluster.killNode(nodeId);
  }

  public void startBroker(int nodeId) {
    cluster.startNode(nodeId);
  }

  public boolean isRunning(int nodeId) {
    return cluster.isRunning(nodeId);
  }

  public void awaitFullyReplicated(Duration timeout) {
    cluster.awaitFullyReplicated(timeout);
  }

  public Optional<Path> brokerLog(int nodeId) {
    return cluster.nodeOutput(nodeId);
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
    cluster.close();
  }
}
