package io.kstatefun.runtime.internals.failover;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupResult;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a survivor does about a dead peer: fence its transactional producers (a throwaway producer
 * with the same {@code transactional.id} calls {@code initTransactions}, which aborts the dead
 * one's open transaction and bumps the epoch, so {@code read_committed} readers are not held up by
 * it and a zombie can no longer commit) and remove its static members from the consumer group (so
 * the rebalance starts now, not after the session timeout). Both are idempotent: every survivor may
 * do them.
 *
 * <p>Threading: called by the fail-over monitor thread, and by the closing thread for {@link
 * #leave}; the Admin client is thread-safe, each fencing producer lives in one call.
 */
public final class FailoverActions implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FailoverActions.class);

  private final Admin admin;
  private final Map<String, Object> producerConfig;
  private final String groupId;
  private final Duration timeout;
  private final Counter deaths;
  private final Counter fenced;
  private final Counter removed;

  /**
   * @param admin the Admin client, closed with this
   * @param producerConfig the Streams producer's configuration (security, bootstrap...), without a
   *     transactional id
   * @param groupId the consumer group: the application id
   * @param timeout bound of each fencing and of the removal
   */
  public FailoverActions(
      Admin admin,
      Map<String, Object> producerConfig,
      String groupId,
      Duration timeout,
      MeterRegistry registry) {
    this.admin = admin;
    this.producerConfig = new HashMap<>(producerConfig);
    this.producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    this.producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    this.groupId = groupId;
    this.timeout = timeout;
    this.deaths =
        Counter.builder("kstatefun.failover.peer.deaths")
            .description("Peers this instance found dead (connection refused) and acted on")
            .register(registry);
    this.fenced =
        Counter.builder("kstatefun.failover.fenced.producers")
            .description("Transactional ids of dead peers this instance fenced")
            .register(registry);
    this.removed =
        Counter.builder("kstatefun.failover.removed.members")
            .description("Static members of dead peers this instance removed from the group")
            .register(registry);
  }

  /** Fences and removes a dead peer. */
  public void onDeath(DeathDetector.Death death) {
    PeerIdentity id = death.identity();
    List<String> txIds = death.fenceProducers() ? id.transactionalIds() : List.of();
    List<String> members = id.memberInstanceIds();
    LOG.warn(
        "kstatefun fail-over: peer {} is dead ({}): process id {}, stream threads {}; fencing"
            + " transactional ids {}, removing group members {} of group {}",
        death.endpoint(),
        death.reason(),
        id.processId(),
        id.threads(),
        txIds,
        members,
        groupId);
    deaths.increment();
    long start = System.nanoTime();
    // removal first (asynchronous): the rebalance can start while the producers are fenced
    RemoveMembersFromConsumerGroupResult removal =
        startRemoval(members, "peer " + death.endpoint() + " is dead");
    List<String> fencedIds = new ArrayList<>();
    for (String txId : txIds) {
      if (fence(txId)) {
        fencedIds.add(txId);
        fenced.increment();
      }
    }
    List<String> removedIds = awaitRemoval(removal, members);
    removed.increment(removedIds.size());
    LOG.warn(
        "kstatefun fail-over: peer {} (process id {}) handled in {} ms: fenced {}, removed {}",
        death.endpoint(),
        id.processId(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
        fencedIds,
        removedIds);
  }

  /**
   * Removes this instance's own static members after a graceful close, so that a stop hands the
   * partitions over at once (a static member otherwise stays until its session times out).
   */
  public void leave(List<String> ownMembers) {
    if (ownMembers.isEmpty()) {
      return;
    }
    List<String> removedIds =
        awaitRemoval(startRemoval(ownMembers, "graceful shutdown"), ownMembers);
    LOG.info(
        "kstatefun: left group {} (members {})",
        groupId,
        removedIds.isEmpty() ? ownMembers + " had left already" : removedIds);
  }

  private RemoveMembersFromConsumerGroupResult startRemoval(List<String> members, String reason) {
    if (members.isEmpty()) {
      return null;
    }
    List<MemberToRemove> toRemove = new ArrayList<>();
    members.forEach(m -> toRemove.add(new MemberToRemove(m)));
    RemoveMembersFromConsumerGroupOptions options =
        new RemoveMembersFromConsumerGroupOptions(toRemove);
    options.reason("kstatefun: " + reason);
    options.timeoutMs((int) timeout.toMillis());
    return admin.removeMembersFromConsumerGroup(groupId, options);
  }

  private List<String> awaitRemoval(
      RemoveMembersFromConsumerGroupResult removal, List<String> members) {
    List<String> removedIds = new ArrayList<>();
    if (removal == null) {
      return removedIds;
    }
    for (String m : members) {
      try {
        removal.memberResult(new MemberToRemove(m)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        removedIds.add(m);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownMemberIdException) {
          LOG.debug("group member {} of group {} was gone already", m, groupId);
        } else {
          LOG.warn(
              "kstatefun fail-over: could not remove member {} from group {}: {}",
              m,
              groupId,
              String.valueOf(e.getCause()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return removedIds;
      } catch (Exception e) {
        LOG.warn(
            "kstatefun fail-over: could not remove member {} from group {}: {}",
            m,
            groupId,
            e.toString());
      }
    }
    return removedIds;
  }

  /** initTransactions with the dead producer's transactional id; true if it returned. */
  private boolean fence(String transactionalId) {
    Map<String, Object> config = new HashMap<>(producerConfig);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "kstatefun-fencer-" + transactionalId);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      return true;
    } catch (RuntimeException e) {
      LOG.warn(
          "kstatefun fail-over: could not fence transactional id {}: {}",
          transactionalId,
          e.toString());
      return false;
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
