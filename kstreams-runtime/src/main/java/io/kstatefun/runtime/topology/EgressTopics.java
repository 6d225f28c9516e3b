package io.kstatefun.runtime.topology;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the topic of an egress record exists, so that a function naming a missing topic gets
 * its batch dead-lettered ({@code EGRESS_TOPIC_MISSING}) instead of blocking its stream thread in
 * the producer, which waits {@code max.block.ms} for the topic's metadata and then fails the task.
 *
 * <p>Functions choose egress topics per record, so they are checked as they appear: a topic seen
 * to exist is remembered for good (topics are rarely deleted under a running application); a
 * missing one is asked again after {@link #MISSING_RECHECK}, so that creating it takes effect
 * soon. When the cluster cannot be asked (timeout, authorization), the topic is assumed to exist
 * and the producer decides, as it would without this check.
 *
 * <p>Threading: called by stream threads; the cache is concurrent.
 */
final class EgressTopics implements Predicate<String>, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EgressTopics.class);

  /** How long a topic found missing is taken as missing before the cluster is asked again. */
  static final Duration MISSING_RECHECK = Duration.ofSeconds(5);

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  /** Asks the cluster which of the topics exist. */
  interface Lookup {
    Set<String> existing(List<String> topics) throws Exception;
  }

  private final Lookup lookup;
  private final LongSupplier clock;
  private final AutoCloseable resource;
  private final Set<String> existing = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> missingUntil = new ConcurrentHashMap<>();

  EgressTopics(Lookup lookup, LongSupplier clock, AutoCloseable resource) {
    this.lookup = lookup;
    this.clock = clock;
    this.resource = resource;
  }

  /** Checks topics with {@code admin}, which this instance closes. */
  static EgressTopics withAdmin(Admin admin) {
    Lookup lookup =
        topics -> {
          Set<String> found = ConcurrentHashMap.newKeySet();
          for (var e : admin.describeTopics(topics).topicNameValues().entrySet()) {
            try {
              e.getValue().get(ASK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
              found.add(e.getKey());
            } catch (ExecutionException ex) {
              if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw ex;
              }
            }
          }
          return found;
        };
    return new EgressTopics(lookup, System::currentTimeMillis, () -> admin.close(Duration.ofSeconds(5)));
  }

  /** True unless the cluster said that {@code topic} does not exist. */
  @Override
  public boolean test(String topic) {
    if (existing.contains(topic)) {
      return true;
    }
    long now = clock.getAsLong();
    Long until = missingUntil.get(topic);
    if (until != null && now < until) {
      return false;
    }
    try {
      if (lookup.existing(List.of(topic)).contains(topic)) {
        existing.add(topic);
        missingUntil.remove(topic);
        return true;
      }
      missingUntil.put(topic, now + MISSING_RECHECK.toMillis());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    } catch (Exception e) {
      LOG.warn("Could not check whether egress topic '{}' exists; letting the producer try: {}", topic, e.toString());
      return true;
    }
  }

  @Override
  public void close() throws Exception {
    resource.close();
  }
}
