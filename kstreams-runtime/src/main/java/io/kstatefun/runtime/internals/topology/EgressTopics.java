package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the topic of an egress record exists, so that a function naming a missing topic gets its
 * batch dead-lettered ({@code EGRESS_TOPIC_MISSING}) instead of blocking its stream thread in the
 * producer, which waits {@code max.block.ms} for the topic's metadata and then fails the task.
 *
 * <p>The cluster is asked asynchronously, never on the stream thread. Functions choose egress
 * topics per record, so they are checked as they appear: before the stream thread applies an answer
 * it asks {@link #answered} whether every egress topic of the answer has a known fate; if not, the
 * lookups start and the stream thread holds the answer back (its batch stays in flight) until a
 * lookup ends and wakes it. A topic seen to exist is remembered for good (topics are rarely deleted
 * under a running application); a missing one counts as missing for {@link #MISSING_RECHECK} and is
 * then asked for again, so that creating it takes effect soon. A lookup that times out or meets a
 * retriable error (the cluster is unreachable) decides nothing: the answer stays held and the next
 * pass asks again, so a topic that exists is never dead-lettered because the cluster was briefly
 * away. When the cluster refuses to say (e.g. no describe permission), the topic is taken to exist
 * and the producer decides, as it would without this check.
 *
 * <p>Threading: {@link #answered} and {@link #test} are called by stream threads and return at
 * once; lookups complete on the admin client's thread, which updates the concurrent caches and runs
 * the callers' wake-ups.
 */
final class EgressTopics implements EgressTopicCheck, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EgressTopics.class);

  /** How long a topic found missing is taken as missing before the cluster is asked again. */
  static final Duration MISSING_RECHECK = Duration.ofSeconds(5);

  /** How long one lookup may take before it counts as unanswered (and is asked again). */
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  /** Asks the cluster whether a topic exists. */
  interface Lookup {
    /**
     * Completes with true or false, or exceptionally when the cluster did not say (timeout,
     * unreachable, not authorized). Must not block.
     */
    CompletableFuture<Boolean> exists(String topic);
  }

  private final Lookup lookup;
  private final LongSupplier clock;
  private final AutoCloseable resource;
  private final Set<String> existing = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> missingUntil = new ConcurrentHashMap<>();

  /** Lookups in flight, by topic, with the wake-ups to run when each ends. */
  private final Map<String, List<Runnable>> asking = new ConcurrentHashMap<>();

  /** Topics whose lookup failed and was logged, until one succeeds (one warning per outage). */
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  EgressTopics(Lookup lookup, LongSupplier clock, AutoCloseable resource) {
    this.lookup = lookup;
    this.clock = clock;
    this.resource = resource;
  }

  /** Checks topics with {@code admin}, which this instance closes. */
  static EgressTopics withAdmin(Admin admin) {
    Lookup lookup =
        topic -> {
          CompletableFuture<Boolean> result = new CompletableFuture<>();
          admin
              .describeTopics(
                  List.of(topic),
                  new DescribeTopicsOptions().timeoutMs((int) ASK_TIMEOUT.toMillis()))
              .topicNameValues()
              .get(topic)
              .whenComplete(
                  (description, error) -> {
                    Throwable cause = unwrap(error);
                    if (cause == null) {
                      result.complete(true);
                    } else if (cause instanceof UnknownTopicOrPartitionException) {
                      result.complete(false);
                    } else {
                      result.completeExceptionally(cause);
                    }
                  });
          return result;
        };
    // Lookups still pending at shutdown are worthless: do not wait for them.
    return new EgressTopics(lookup, System::currentTimeMillis, () -> admin.close(Duration.ZERO));
  }

  /**
   * The Kafka egress topics an answer names (records that cannot be parsed are left to the
   * dispatcher).
   */
  static Collection<String> topicsOf(FromFunction response) {
    if (response == null || !response.hasInvocationResult()) {
      return List.of();
    }
    Set<String> topics = new LinkedHashSet<>();
    for (EgressMessage message : response.getInvocationResult().getOutgoingEgressesList()) {
      if (!Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME.equals(message.getArgument().getTypename())) {
        continue;
      }
      try {
        String topic = topicOf(message.getArgument().getValue());
        if (!topic.isEmpty()) {
          topics.add(topic);
        }
      } catch (IOException e) {
        // the dispatcher dead-letters it as a malformed egress record
      }
    }
    return topics;
  }

  /**
   * The topic of a serialized {@code KafkaProducerRecord}, read without parsing the rest (the
   * dispatcher parses the record whole when it validates the answer): the last occurrence of the
   * field wins, as in a full parse; empty when there is none.
   *
   * @throws IOException if the bytes up to the end are not protobuf fields
   */
  static String topicOf(ByteString record) throws IOException {
    CodedInputStream in = record.newCodedInput();
    String topic = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == TOPIC_TAG) {
        topic = in.readStringRequireUtf8();
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    return topic;
  }

  /** Field 3 ({@code topic}), length-delimited. */
  private static final int TOPIC_TAG =
      (KafkaProducerRecord.TOPIC_FIELD_NUMBER << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  @Override
  public boolean test(String topic) {
    if (existing.contains(topic)) {
      return true;
    }
    if (missingUntil.containsKey(topic)) {
      return false; // possibly stale: answered() asks again before an answer relies on it
    }
    ask(topic, null);
    return true;
  }

  @Override
  public boolean answered(Collection<String> topics, Runnable onAnswer) {
    long now = clock.getAsLong();
    boolean all = true;
    for (String topic : topics) {
      if (!hasAnswer(topic, now)) {
        ask(topic, onAnswer);
        all = all && hasAnswer(topic, now); // a lookup may answer at once
      }
    }
    return all;
  }

  private boolean hasAnswer(String topic, long now) {
    if (existing.contains(topic)) {
      return true;
    }
    Long until = missingUntil.get(topic);
    return until != null && now < until;
  }

  /**
   * Starts a lookup of {@code topic} unless one is in flight; {@code onAnswer} runs when it ends.
   */
  private void ask(String topic, Runnable onAnswer) {
    boolean[] started = {false};
    asking.compute(
        topic,
        (t, waiting) -> {
          List<Runnable> list = waiting;
          if (list == null) {
            list = new ArrayList<>();
            started[0] = true;
          }
          if (onAnswer != null) {
            list.add(onAnswer);
          }
          return list;
        });
    if (!started[0]) {
      return;
    }
    CompletableFuture<Boolean> answer;
    try {
      answer = lookup.exists(topic);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((exists, error) -> finish(topic, exists, error));
  }

  private void finish(String topic, Boolean exists, Throwable error) {
    if (error == null) {
      warned.remove(topic);
      if (exists) {
        existing.add(topic);
        missingUntil.remove(topic);
      } else {
        missingUntil.put(topic, clock.getAsLong() + MISSING_RECHECK.toMillis());
      }
    } else {
      Throwable cause = unwrap(error);
      if (cause instanceof RetriableException
          || cause instanceof java.util.concurrent.TimeoutException) {
        if (warned.add(topic)) {
          LOG.warn(
              "Could not learn whether egress topic '{}' exists ({}); answers that write to it wait"
                  + " until the cluster answers",
              topic,
              cause.toString());
        }
      } else {
        LOG.warn(
            "Cannot check whether egress topic '{}' exists; letting the producer try: {}",
            topic,
            cause.toString());
        existing.add(topic);
      }
    }
    List<Runnable> waiting = asking.remove(topic);
    if (waiting != null) {
      waiting.forEach(Runnable::run);
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close() throws Exception {
    resource.close();
  }
}
