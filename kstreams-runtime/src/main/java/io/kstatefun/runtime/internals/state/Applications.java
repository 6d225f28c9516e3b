package io.kstatefun.runtime.internals.state;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.topology.TopologyFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What the export and the import need to know about an application: the Kafka client settings its
 * configuration carries, its changelog topics, whether it is running and its partition count.
 */
final class Applications {

  static final long TIMEOUT_S = 30;

  private Applications() {}

  /**
   * The Kafka client settings of {@code config}: {@code bootstrap.servers} and the security
   * settings ({@code security.*}, {@code ssl.*}, {@code sasl.*}), without the Kafka Streams and
   * kstatefun ones.
   */
  static Map<String, Object> clientProps(KStatefunConfig config) {
    Map<String, Object> props = new HashMap<>();
    config
        .originals()
        .forEach(
            (k, v) -> {
              if (k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
                  || k.startsWith("security.")
                  || k.startsWith("ssl.")
                  || k.startsWith("sasl.")) {
                props.put(k, v);
              }
            });
    if (!props.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      throw new IllegalArgumentException("bootstrap.servers is required");
    }
    return props;
  }

  static Admin admin(KStatefunConfig config) {
    Map<String, Object> props = clientProps(config);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_S * 1000));
    return Admin.create(props);
  }

  /** The changelog topic of one of the runtime's stores. */
  static String changelog(KStatefunConfig config, String store) {
    return config.applicationId() + "-" + store + "-changelog";
  }

  static String stateChangelog(KStatefunConfig config) {
    return changelog(config, TopologyFactory.STATE_STORE);
  }

  static String timerChangelog(KStatefunConfig config) {
    return changelog(config, TopologyFactory.TIMER_STORE);
  }

  static String mailboxChangelog(KStatefunConfig config) {
    return changelog(config, TopologyFactory.MAILBOX_STORE);
  }

  /**
   * The active members of the application's group (classic consumer group, or a KIP-1071 streams
   * group), one description each; empty when the application is not running.
   */
  static List<String> activeMembers(Admin admin, String applicationId)
      throws InterruptedException, TimeoutException {
    List<String> members = new ArrayList<>();
    try {
      ConsumerGroupDescription d =
          admin
              .describeConsumerGroups(List.of(applicationId))
              .all()
              .get(TIMEOUT_S, TimeUnit.SECONDS)
              .get(applicationId);
      if (d != null) {
        d.members().forEach(m -> members.add(m.consumerId() + " on " + m.host()));
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        // A streams group is not a consumer group: the broker may answer with an error here.
        members.addAll(streamsMembers(admin, applicationId, e));
        return members;
      }
    }
    if (members.isEmpty()) {
      members.addAll(streamsMembers(admin, applicationId, null));
    }
    return members;
  }

  private static List<String> streamsMembers(
      Admin admin, String applicationId, ExecutionException consumerGroupError)
      throws InterruptedException, TimeoutException {
    List<String> members = new ArrayList<>();
    try {
      StreamsGroupDescription d =
          admin
              .describeStreamsGroups(List.of(applicationId))
              .all()
              .get(TIMEOUT_S, TimeUnit.SECONDS)
              .get(applicationId);
      if (d != null) {
        d.members().forEach(m -> members.add(m.memberId() + " (streams group)"));
      }
    } catch (ExecutionException e) {
      if (consumerGroupError != null && !(e.getCause() instanceof GroupIdNotFoundException)) {
        throw new IllegalStateException(
            "cannot tell whether application "
                + applicationId
                + " is running: "
                + consumerGroupError.getCause().getMessage(),
            consumerGroupError);
      }
      // Not a streams group (or the broker does not know them): the consumer group answered.
    }
    return members;
  }

  /** Refuses an application with active group members, naming them. */
  static void requireStopped(Admin admin, String applicationId, String what)
      throws InterruptedException, TimeoutException {
    List<String> members = activeMembers(admin, applicationId);
    if (!members.isEmpty()) {
      throw new IllegalStateException(
          "application "
              + applicationId
              + " is running: its group has "
              + members.size()
              + " active member(s) ("
              + String.join(", ", members.subList(0, Math.min(3, members.size())))
              + (members.size() > 3 ? ", ..." : "")
              + "). Stop every instance before "
              + what
              + " (a killed instance leaves the group after its session timeout).");
    }
  }

  /** The partition count of {@code topic}, or -1 when it does not exist. */
  static int partitions(Admin admin, String topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      TopicDescription d =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TIMEOUT_S, TimeUnit.SECONDS)
              .get(topic);
      return d.partitions().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return -1;
      }
      throw e;
    }
  }
}
