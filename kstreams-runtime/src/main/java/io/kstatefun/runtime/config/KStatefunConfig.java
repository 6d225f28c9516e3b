package io.kstatefun.runtime.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The runtime's own settings ({@code kstatefun.*}), next to Kafka Streams' settings which pass
 * through unchanged. Every key is declared here with its default and meaning; {@link #DEFINITION}
 * is the source of the configuration reference in the docs.
 *
 * <p>{@link #streamsProperties} also holds the Kafka Streams defaults kstatefun chooses (exactly
 * once v2, a short commit interval, no task idling); a user's own value for any of them wins.
 */
public final class KStatefunConfig extends AbstractConfig {

  public static final String LOOPBACK_TOPIC_CONFIG = "kstatefun.loopback.topic";
  private static final String LOOPBACK_TOPIC_DOC =
      "Topic that carries messages between functions on different partitions. Empty: "
          + "'<application.id>-loopback'.";

  public static final String PARTITIONS_CONFIG = "kstatefun.partitions";
  private static final String PARTITIONS_DOC =
      "Partitions of the loopback topic when kstatefun creates it. Addresses are spread over "
          + "this many partitions (by id); it bounds how many instances and stream threads can share "
          + "the work. An existing loopback topic keeps its partition count.";

  public static final String REPLICATION_FACTOR_CONFIG = "kstatefun.replication.factor";
  private static final String REPLICATION_FACTOR_DOC =
      "Replication factor of the topics kstatefun creates (loopback, doorbell, dead letters). "
          + "-1: the broker's default.";

  public static final String DOORBELL_ENABLED_CONFIG = "kstatefun.doorbell.enabled";
  private static final String DOORBELL_ENABLED_DOC =
      "Wake the stream thread as soon as a function call completes, by writing a tiny record to "
          + "a doorbell topic, instead of waiting for poll.ms to pass.";

  public static final String DOORBELL_TOPIC_CONFIG = "kstatefun.doorbell.topic";
  private static final String DOORBELL_TOPIC_DOC =
      "Doorbell topic. Empty: '<application.id>-doorbell'.";

  public static final String DEAD_LETTER_TOPIC_CONFIG = "kstatefun.dead.letter.topic";
  private static final String DEAD_LETTER_TOPIC_DOC =
      "Default dead-letter topic, for ingresses without their own deadLetterTopic and for "
          + "function failures. Empty: '<application.id>-dead-letters'.";

  public static final String MAX_BATCH_SIZE_CONFIG = "kstatefun.max.batch.size";
  private static final String MAX_BATCH_SIZE_DOC =
      "Most messages sent to one address in one request; the rest of its backlog waits for the "
          + "next request.";

  public static final String MAX_PENDING_TIMERS_CONFIG = "kstatefun.max.pending.timers";
  private static final String MAX_PENDING_TIMERS_DOC =
      "Most pending delayed messages per partition. A delayed message beyond it is dead-lettered.";

  public static final String TIMER_CHECK_INTERVAL_MS_CONFIG = "kstatefun.timer.check.interval.ms";
  private static final String TIMER_CHECK_INTERVAL_MS_DOC =
      "Safety-net interval of the wall-clock check for due timers and finished calls. Timers and "
          + "calls normally wake the stream thread themselves through the doorbell.";

  public static final String RETRY_INITIAL_BACKOFF_MS_CONFIG = "kstatefun.retry.initial.backoff.ms";
  private static final String RETRY_INITIAL_BACKOFF_MS_DOC =
      "First delay before retrying a failed function call; it doubles per attempt, with jitter.";

  public static final String RETRY_MAX_BACKOFF_MS_CONFIG = "kstatefun.retry.max.backoff.ms";
  private static final String RETRY_MAX_BACKOFF_MS_DOC = "Longest delay between retries of a call.";

  public static final String COMMIT_ON_OUTPUT_CONFIG = "kstatefun.commit.on.output";
  private static final String COMMIT_ON_OUTPUT_DOC =
      "Request a Kafka Streams commit as soon as a processed record or a call's answer produced "
          + "output (messages, egress, dead letters), instead of waiting for commit.interval.ms. "
          + "Lowers latency; costs a transaction per loop iteration under load.";

  public static final String COMMIT_MIN_INTERVAL_MS_CONFIG = "kstatefun.commit.min.interval.ms";
  private static final String COMMIT_MIN_INTERVAL_MS_DOC =
      "Least time between two commits a stream thread requests because of pending output "
          + "(kstatefun.commit.on.output). Output produced sooner after the last one is committed when "
          + "the interval has passed, together with what was processed meanwhile; a quiet task is woken "
          + "for it through the doorbell. 0 requests a commit for every output, which under load means "
          + "a transaction per record.";

  public static final String ADMIN_PORT_CONFIG = "kstatefun.admin.port";
  private static final String ADMIN_PORT_DOC =
      "HTTP port of the admin endpoints (metrics, health, status). -1 disables them; 0 picks a "
          + "free port.";

  // --- Limits (robustness) --------------------------------------------------------------------

  public static final String MAX_IN_FLIGHT_PER_TASK_CONFIG = "kstatefun.max.in.flight.per.task";
  private static final String MAX_IN_FLIGHT_PER_TASK_DOC =
      "Most function requests in flight per task (partition), across addresses and endpoints. "
          + "Further batches wait in the durable mailbox until a request ends. Endpoints can bound "
          + "their own concurrency per instance with the maxInFlight extension.";

  public static final String MAX_MAILBOX_SIZE_CONFIG = "kstatefun.max.mailbox.size";
  private static final String MAX_MAILBOX_SIZE_DOC =
      "Most queued messages per address. A message beyond it is dead-lettered (reason "
          + "MAILBOX_FULL) instead of queued. 0: unlimited (the mailbox lives on disk; only the "
          + "batch in flight is held in memory).";

  /** Every kstatefun key, its type, default and documentation. */
  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(LOOPBACK_TOPIC_CONFIG, Type.STRING, "", Importance.MEDIUM, LOOPBACK_TOPIC_DOC)
          .define(PARTITIONS_CONFIG, Type.INT, 8, Range.atLeast(1), Importance.HIGH, PARTITIONS_DOC)
          .define(REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1, Importance.MEDIUM, REPLICATION_FACTOR_DOC)
          .define(DOORBELL_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.LOW, DOORBELL_ENABLED_DOC)
          .define(DOORBELL_TOPIC_CONFIG, Type.STRING, "", Importance.LOW, DOORBELL_TOPIC_DOC)
          .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, "", Importance.MEDIUM, DEAD_LETTER_TOPIC_DOC)
          .define(MAX_BATCH_SIZE_CONFIG, Type.INT, 1000, Range.atLeast(1), Importance.MEDIUM, MAX_BATCH_SIZE_DOC)
          .define(MAX_PENDING_TIMERS_CONFIG, Type.LONG, 1_000_000L, Range.atLeast(1), Importance.LOW, MAX_PENDING_TIMERS_DOC)
          .define(TIMER_CHECK_INTERVAL_MS_CONFIG, Type.LONG, 100L, Range.atLeast(1), Importance.LOW, TIMER_CHECK_INTERVAL_MS_DOC)
          .define(RETRY_INITIAL_BACKOFF_MS_CONFIG, Type.LONG, 10L, Range.atLeast(1), Importance.LOW, RETRY_INITIAL_BACKOFF_MS_DOC)
          .define(RETRY_MAX_BACKOFF_MS_CONFIG, Type.LONG, 2_000L, Range.atLeast(1), Importance.LOW, RETRY_MAX_BACKOFF_MS_DOC)
          .define(COMMIT_ON_OUTPUT_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, COMMIT_ON_OUTPUT_DOC)
          .define(COMMIT_MIN_INTERVAL_MS_CONFIG, Type.LONG, 20L, Range.atLeast(0), Importance.MEDIUM, COMMIT_MIN_INTERVAL_MS_DOC)
          .define(ADMIN_PORT_CONFIG, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM, ADMIN_PORT_DOC)
          // limits (robustness)
          .define(MAX_IN_FLIGHT_PER_TASK_CONFIG, Type.INT, 1024, Range.atLeast(1), Importance.LOW, MAX_IN_FLIGHT_PER_TASK_DOC)
          .define(MAX_MAILBOX_SIZE_CONFIG, Type.LONG, 0L, Range.atLeast(0), Importance.LOW, MAX_MAILBOX_SIZE_DOC);

  /** The Kafka Streams settings kstatefun chooses unless the user sets them. */
  public static Map<String, Object> streamsDefaults() {
    Map<String, Object> d = new HashMap<>();
    d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    d.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    d.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    d.put(StreamsConfig.POLL_MS_CONFIG, 100L);
    d.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    // The open transaction of a killed instance blocks read_committed readers of every partition
    // it wrote to (loopback!) until the broker aborts it: keep it short (Streams' EOS default is
    // 10 s). Transactions here last one commit interval at most. Pair with the broker setting
    // transaction.abort.timed.out.transaction.cleanup.interval.ms (default 10 s).
    d.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 5_000);
    d.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
    d.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 16L * 1024 * 1024);
    // A killed instance's partitions move after this long (the consumer default is 45 s).
    d.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6_000);
    // The others learn of a rebalance (e.g. an instance that left on SIGTERM) with their next
    // heartbeat: keep that short.
    d.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
    return d;
  }

  private final String applicationId;

  public KStatefunConfig(Map<?, ?> originals) {
    super(DEFINITION, originals, false);
    Object app = originals.get(StreamsConfig.APPLICATION_ID_CONFIG);
    if (app == null || app.toString().isBlank()) {
      throw new org.apache.kafka.common.config.ConfigException(
          StreamsConfig.APPLICATION_ID_CONFIG, app, "an application id is required");
    }
    this.applicationId = app.toString();
  }

  public String applicationId() {
    return applicationId;
  }

  public String loopbackTopic() {
    return orDefault(LOOPBACK_TOPIC_CONFIG, "-loopback");
  }

  public String doorbellTopic() {
    return orDefault(DOORBELL_TOPIC_CONFIG, "-doorbell");
  }

  public String deadLetterTopic() {
    return orDefault(DEAD_LETTER_TOPIC_CONFIG, "-dead-letters");
  }

  private String orDefault(String key, String suffix) {
    String v = getString(key);
    return v == null || v.isBlank() ? applicationId + suffix : v;
  }

  /**
   * The properties for Kafka Streams: kstatefun's defaults, overridden by everything the user
   * gave that is not a {@code kstatefun.*} key.
   */
  public static Properties streamsProperties(Map<?, ?> user) {
    Properties p = new Properties();
    p.putAll(streamsDefaults());
    user.forEach(
        (k, v) -> {
          if (!k.toString().startsWith("kstatefun.")) {
            p.put(k, v);
          }
        });
    return p;
  }
}
