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
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The runtime's own settings ({@code kstatefun.*}), next to Kafka Streams' settings which pass
 * through unchanged. Every key is declared here with its default and meaning; {@link #DEFINITION}
 * is the source of the configuration reference in the docs.
 *
 * <p>{@link #streamsProperties} also holds the Kafka Streams defaults kstatefun chooses (exactly
 * once v2, a short commit interval, no task idling); a user's own value for any of them wins,
 * except that a guarantee other than exactly once v2 needs {@value #ALLOW_AT_LEAST_ONCE_CONFIG}
 * ({@link #requireProcessingGuarantee}).
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

  public static final String DEAD_LETTER_RETENTION_MS_CONFIG = "kstatefun.dead.letter.retention.ms";
  private static final String DEAD_LETTER_RETENTION_MS_DOC =
      "retention.ms of the dead-letter topics kstatefun creates (retention.bytes is -1). -1: dead "
          + "letters are kept until an operator deletes them. A dead-letter topic that exists already "
          + "keeps its own retention, which the runtime logs at start-up.";

  public static final String LOOPBACK_PURGE_INTERVAL_MS_CONFIG =
      "kstatefun.loopback.purge.interval.ms";
  private static final String LOOPBACK_PURGE_INTERVAL_MS_DOC =
      "How often each instance deletes the loopback records below the application's committed "
          + "offsets of the partitions it runs (as Kafka Streams does for repartition topics with "
          + "repartition.purge.interval.ms). The loopback topic has unlimited retention, so this is "
          + "what keeps it small.";

  public static final String ALLOW_AT_LEAST_ONCE_CONFIG = "kstatefun.allow.at.least.once";
  private static final String ALLOW_AT_LEAST_ONCE_DOC =
      "Allow a processing.guarantee other than exactly_once_v2. Without it the runtime refuses to "
          + "start with any other guarantee. Under at_least_once a crash can apply function effects "
          + "(state, messages, egress records) twice; it exists for the chaos tests' negative control, "
          + "not for production.";

  public static final String MAX_BATCH_SIZE_CONFIG = "kstatefun.max.batch.size";
  private static final String MAX_BATCH_SIZE_DOC =
      "Most messages sent to one address in one request; the rest of its backlog waits for the "
          + "next request.";

  public static final String MAX_PENDING_TIMERS_CONFIG = "kstatefun.max.pending.timers";
  private static final String MAX_PENDING_TIMERS_DOC =
      "Most pending timers per partition: delayed messages, plus one state expiry check per "
          + "address that has values with a TTL. A delayed message beyond it is dead-lettered.";

  public static final String TIMER_CHECK_INTERVAL_MS_CONFIG = "kstatefun.timer.check.interval.ms";
  private static final String TIMER_CHECK_INTERVAL_MS_DOC =
      "Safety-net interval of the wall-clock check for due timers and finished calls while a task "
          + "has work pending (calls in flight, output to commit, a timer due). Timers and calls "
          + "normally wake the stream thread themselves through the doorbell.";

  public static final String IDLE_CHECK_INTERVAL_MS_CONFIG = "kstatefun.idle.check.interval.ms";
  private static final String IDLE_CHECK_INTERVAL_MS_DOC =
      "Safety-net interval of the wall-clock check of a task with no work pending, for a doorbell "
          + "ring that was lost (e.g. a state read's commit request). Kafka Streams commits a "
          + "transaction after every punctuation, so an idle instance runs about one transaction per "
          + "stream thread per interval; a pending timer is checked again soon after it is due.";

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

  public static final String DELIVERY_SAME_THREAD_CONFIG = "kstatefun.delivery.same.thread";
  private static final String DELIVERY_SAME_THREAD_DOC =
      "Deliver a message for an address whose task runs on the sender's stream thread straight "
          + "into that task's mailbox, in the same transaction, instead of through the loopback "
          + "topic (no wait for the sender's commit). A target partition falls back to the loopback "
          + "topic until it has read every loopback record this thread sent it since the thread's "
          + "tasks last changed, so messages from one sender to one target stay in order. "
          + "See docs/architecture.md, Same-thread delivery.";

  public static final String COMMIT_MIN_INTERVAL_MS_CONFIG = "kstatefun.commit.min.interval.ms";
  private static final String COMMIT_MIN_INTERVAL_MS_DOC =
      "Least time between two commits a stream thread requests because of pending output "
          + "(kstatefun.commit.on.output). Output produced sooner after the last one is committed when "
          + "the interval has passed, together with what was processed meanwhile; a quiet task is woken "
          + "for it through the doorbell. 0 requests a commit for every output, which under load means "
          + "a transaction per record. Under light load kstatefun.commit.light.interval.ms applies "
          + "instead.";

  public static final String COMMIT_LIGHT_INTERVAL_MS_CONFIG = "kstatefun.commit.light.interval.ms";
  private static final String COMMIT_LIGHT_INTERVAL_MS_DOC =
      "The least time between two requested commits while a stream thread is lightly loaded: it "
          + "processed at most kstatefun.commit.light.max.records records since its last requested "
          + "commit. Shorter than kstatefun.commit.min.interval.ms, so that output at low rates waits "
          + "a few milliseconds for its commit; a busy thread moves to the longer interval by itself. "
          + "Set it equal to kstatefun.commit.min.interval.ms for a fixed interval.";

  public static final String COMMIT_LIGHT_MAX_RECORDS_CONFIG = "kstatefun.commit.light.max.records";
  private static final String COMMIT_LIGHT_MAX_RECORDS_DOC =
      "How many records (input and doorbell records) a stream thread may process between two "
          + "requested commits and still count as lightly loaded "
          + "(kstatefun.commit.light.interval.ms).";

  public static final String ADMIN_PORT_CONFIG = "kstatefun.admin.port";
  private static final String ADMIN_PORT_DOC =
      "HTTP port of the admin endpoints (metrics, health, status). -1 disables them; 0 picks a "
          + "free port.";

  public static final String API_PORT_CONFIG = "kstatefun.api.port";
  private static final String API_PORT_DOC =
      "HTTP port of the API (call and send to functions, read their state; docs/http-api.md). -1 "
          + "disables it; 0 picks a free port.";

  public static final String API_HOST_CONFIG = "kstatefun.api.host";
  private static final String API_HOST_DOC = "Address the HTTP API listens on.";

  public static final String API_ADVERTISED_HOST_CONFIG = "kstatefun.api.advertised.host";
  private static final String API_ADVERTISED_HOST_DOC =
      "Host name or address by which the other instances reach this instance's HTTP API; with the "
          + "API port it becomes Kafka Streams' application.server unless that is set. Empty: this "
          + "machine's host name.";

  public static final String API_AUTH_TOKEN_CONFIG = "kstatefun.api.auth.token";
  private static final String API_AUTH_TOKEN_DOC =
      "Bearer token the HTTP API requires: every request must carry 'Authorization: Bearer "
          + "<token>', else it is answered 401. Empty: no token check (see also "
          + "kstatefun.api.auth.token.file). Instances forward the header when they proxy.";

  public static final String API_AUTH_TOKEN_FILE_CONFIG = "kstatefun.api.auth.token.file";
  private static final String API_AUTH_TOKEN_FILE_DOC =
      "File holding the HTTP API's bearer token (surrounding whitespace trimmed), e.g. a mounted "
          + "Kubernetes secret; read at start. Used when kstatefun.api.auth.token is empty.";

  public static final String API_TLS_CERT_CONFIG = "kstatefun.api.tls.cert";
  private static final String API_TLS_CERT_DOC =
      "Certificate (chain) of the HTTP API: a PEM file (then kstatefun.api.tls.key is its "
          + "unencrypted PKCS#8 PEM key) or a PKCS#12 file (.p12/.pfx; password in "
          + "kstatefun.api.tls.key.password.file). Set: the API speaks HTTPS only, and instances "
          + "proxy to each other over HTTPS presenting it as their client certificate. Empty: "
          + "plain HTTP.";

  public static final String API_TLS_KEY_CONFIG = "kstatefun.api.tls.key";
  private static final String API_TLS_KEY_DOC =
      "Unencrypted PKCS#8 PEM private key of kstatefun.api.tls.cert (when that is PEM).";

  public static final String API_TLS_KEY_PASSWORD_FILE_CONFIG =
      "kstatefun.api.tls.key.password.file";
  private static final String API_TLS_KEY_PASSWORD_FILE_DOC =
      "File holding the password of a PKCS#12 kstatefun.api.tls.cert.";

  public static final String API_TLS_CLIENT_CA_CONFIG = "kstatefun.api.tls.client.ca";
  private static final String API_TLS_CLIENT_CA_DOC =
      "PEM CA certificate(s) for mutual TLS on the HTTP API: when set (with "
          + "kstatefun.api.tls.cert), a client must present a certificate signed by one of them or "
          + "the TLS handshake fails. Proxying instances also trust these CAs for each other's "
          + "server certificates (one internal CA for the instances and their clients); without "
          + "it they use the JVM's trust store. Host names are verified.";
  public static final String API_REPLIES_TOPIC_CONFIG = "kstatefun.api.replies.topic";
  private static final String API_REPLIES_TOPIC_DOC =
      "Topic through which the answers to HTTP API calls reach the instance that holds the call "
          + "(written in the task's transaction, read read_committed). Empty: <application.id>-api-replies. "
          + "Created, with as many partitions as the loopback topic, when the API is enabled.";

  public static final String API_CALL_TIMEOUT_MS_CONFIG = "kstatefun.api.call.timeout.ms";
  private static final String API_CALL_TIMEOUT_MS_DOC =
      "How long POST /call and GET /invocations/{id} wait for the answer when the request gives no "
          + "timeout (Request-Timeout header or ?timeout=); then they answer 202 with the invocation's "
          + "Location, and the invocation goes on.";

  public static final String API_IDEMPOTENCY_RETENTION_MS_CONFIG =
      "kstatefun.api.idempotency.retention.ms";
  private static final String API_IDEMPOTENCY_RETENTION_MS_DOC =
      "How long the runtime remembers an invocation of the HTTP API (its idempotency key, body hash "
          + "and answer) after it was accepted or answered: a retry with the same Idempotency-Key within "
          + "it applies nothing again and gets the same answer.";

  public static final String API_MAX_ADDRESS_BACKLOG_CONFIG = "kstatefun.api.max.address.backlog";
  private static final String API_MAX_ADDRESS_BACKLOG_DOC =
      "Most messages queued for one address (in flight included) for the HTTP API to add another: "
          + "beyond it /call and /send answer 429 instead of queueing.";

  public static final String API_MAX_PENDING_CALLS_CONFIG = "kstatefun.api.max.pending.calls";
  private static final String API_MAX_PENDING_CALLS_DOC =
      "Most calls one instance keeps waiting for their answers; beyond it /call answers 429.";
  // --- Fail-over ------------------------------------------------------------------------------

  public static final String FAILOVER_DETECTION_ENABLED_CONFIG =
      "kstatefun.failover.detection.enabled";
  private static final String FAILOVER_DETECTION_ENABLED_DOC =
      "Fast fail-over: instances probe each other over HTTP at the endpoint they advertise in "
          + "application.server (kstatefun sets it to <local address>:<admin port>, or to a probe-only "
          + "port when the admin endpoints are off, unless you set it; whatever serves that port must "
          + "serve the path /kstatefun/peer). When a peer's host refuses the connection "
          + "kstatefun.failover.probe.confirmations times in a row, a survivor fences the peer's "
          + "transactional producers and removes it from the consumer group, so its partitions move "
          + "within about a second instead of after the session timeout. Needs the classic group "
          + "protocol; kstatefun then gives each instance a group.instance.id unless you set one, and "
          + "an instance that stops gracefully removes its own members. See docs/failover.md.";

  public static final String FAILOVER_PROBE_INTERVAL_MS_CONFIG =
      "kstatefun.failover.probe.interval.ms";
  private static final String FAILOVER_PROBE_INTERVAL_MS_DOC =
      "Pause between two probe rounds of the fail-over detection.";

  public static final String FAILOVER_PROBE_TIMEOUT_MS_CONFIG =
      "kstatefun.failover.probe.timeout.ms";
  private static final String FAILOVER_PROBE_TIMEOUT_MS_DOC =
      "Connect and read timeout of a probe. A timeout means 'unknown' (a paused process, a host "
          + "that is down, a network partition), never 'dead': the consumer session timeout decides then.";

  public static final String FAILOVER_PROBE_CONFIRMATIONS_CONFIG =
      "kstatefun.failover.probe.confirmations";
  private static final String FAILOVER_PROBE_CONFIRMATIONS_DOC =
      "Consecutive refused probes of a peer that confirm its death.";

  // --- Limits (robustness) --------------------------------------------------------------------

  public static final String MAX_IN_FLIGHT_PER_TASK_CONFIG = "kstatefun.max.in.flight.per.task";
  private static final String MAX_IN_FLIGHT_PER_TASK_DOC =
      "Most function requests in flight per task (partition), across addresses and endpoints. "
          + "Further batches wait in the durable mailbox until a request ends. Endpoints can bound "
          + "their own concurrency per instance with the maxInFlight extension.";

  public static final String HEADERS_MAX_BYTES_CONFIG = "kstatefun.headers.max.bytes";
  private static final String HEADERS_MAX_BYTES_DOC =
      "Most bytes (keys plus values) of the headers one ingress record carries to the functions: "
          + "those its topic's forwardHeaders selects, plus the W3C trace context when tracing is on. "
          + "A record whose headers are larger is not routed: it goes to the dead-letter topic with "
          + "reason HEADERS_TOO_LARGE (its ingress's onError applies).";

  public static final String HEADERS_INHERIT_CONFIG = "kstatefun.headers.inherit";
  private static final String HEADERS_INHERIT_DOC =
      "Whether a message or Kafka egress record that a function sends without any header inherits "
          + "the headers of the batch it answers, when every message of that batch carries the same "
          + "headers (always so for a batch of one). This carries headers through functions written "
          + "with SDKs that cannot set them, such as the official StateFun SDKs. With tracing on, the "
          + "trace context is not inherited: the runtime stamps its own.";

  public static final String TRACING_ENABLED_CONFIG = "kstatefun.tracing.enabled";
  private static final String TRACING_ENABLED_DOC =
      "Trace batches, function calls and the records they produce with OpenTelemetry. When true, "
          + "the runtime uses the OpenTelemetry SDK configured from the standard OTEL_* environment "
          + "variables and otel.* system properties (exporting over OTLP by default), or the "
          + "OpenTelemetry Java agent's when one is attached. When false (the default) no span is "
          + "made and no trace context is read or written.";

  public static final String MAX_MAILBOX_SIZE_CONFIG = "kstatefun.max.mailbox.size";
  private static final String MAX_MAILBOX_SIZE_DOC =
      "Most queued messages per address. A message beyond it is dead-lettered (reason "
          + "MAILBOX_FULL) instead of queued. 0: unlimited (the mailbox lives on disk; only the "
          + "batch in flight is held in memory).";

  public static final String CRASH_LOOP_MAX_FAILURES_CONFIG = "kstatefun.crash.loop.max.failures";
  private static final String CRASH_LOOP_MAX_FAILURES_DOC =
      "Stream thread failures of one task within kstatefun.crash.loop.window.ms after which the task "
          + "counts as crash looping: one ERROR names the task and the cause, /health/live answers 503 "
          + "and kstatefun_tasks_crash_looping counts it, until a whole window passes without a failure "
          + "of that task. A failed stream thread is replaced either way.";

  public static final String CRASH_LOOP_WINDOW_MS_CONFIG = "kstatefun.crash.loop.window.ms";
  private static final String CRASH_LOOP_WINDOW_MS_DOC =
      "The window of kstatefun.crash.loop.max.failures. Each failure makes the task restore its "
          + "state before it can fail again, so keep it above that many restorations of the largest task.";

  /** Every kstatefun key, its type, default and documentation. */
  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(LOOPBACK_TOPIC_CONFIG, Type.STRING, "", Importance.MEDIUM, LOOPBACK_TOPIC_DOC)
          .define(PARTITIONS_CONFIG, Type.INT, 8, Range.atLeast(1), Importance.HIGH, PARTITIONS_DOC)
          .define(
              REPLICATION_FACTOR_CONFIG,
              Type.SHORT,
              (short) -1,
              Importance.MEDIUM,
              REPLICATION_FACTOR_DOC)
          .define(DOORBELL_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.LOW, DOORBELL_ENABLED_DOC)
          .define(DOORBELL_TOPIC_CONFIG, Type.STRING, "", Importance.LOW, DOORBELL_TOPIC_DOC)
          .define(
              DEAD_LETTER_TOPIC_CONFIG, Type.STRING, "", Importance.MEDIUM, DEAD_LETTER_TOPIC_DOC)
          .define(
              DEAD_LETTER_RETENTION_MS_CONFIG,
              Type.LONG,
              -1L,
              Range.atLeast(-1),
              Importance.MEDIUM,
              DEAD_LETTER_RETENTION_MS_DOC)
          .define(
              LOOPBACK_PURGE_INTERVAL_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(1),
              Importance.LOW,
              LOOPBACK_PURGE_INTERVAL_MS_DOC)
          .define(
              ALLOW_AT_LEAST_ONCE_CONFIG,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              ALLOW_AT_LEAST_ONCE_DOC)
          .define(
              MAX_BATCH_SIZE_CONFIG,
              Type.INT,
              1000,
              Range.atLeast(1),
              Importance.MEDIUM,
              MAX_BATCH_SIZE_DOC)
          .define(
              MAX_PENDING_TIMERS_CONFIG,
              Type.LONG,
              1_000_000L,
              Range.atLeast(1),
              Importance.LOW,
              MAX_PENDING_TIMERS_DOC)
          .define(
              TIMER_CHECK_INTERVAL_MS_CONFIG,
              Type.LONG,
              100L,
              Range.atLeast(1),
              Importance.LOW,
              TIMER_CHECK_INTERVAL_MS_DOC)
          .define(
              IDLE_CHECK_INTERVAL_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.LOW,
              IDLE_CHECK_INTERVAL_MS_DOC)
          .define(
              RETRY_INITIAL_BACKOFF_MS_CONFIG,
              Type.LONG,
              10L,
              Range.atLeast(1),
              Importance.LOW,
              RETRY_INITIAL_BACKOFF_MS_DOC)
          .define(
              RETRY_MAX_BACKOFF_MS_CONFIG,
              Type.LONG,
              2_000L,
              Range.atLeast(1),
              Importance.LOW,
              RETRY_MAX_BACKOFF_MS_DOC)
          .define(
              COMMIT_ON_OUTPUT_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, COMMIT_ON_OUTPUT_DOC)
          .define(
              DELIVERY_SAME_THREAD_CONFIG,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              DELIVERY_SAME_THREAD_DOC)
          .define(
              COMMIT_MIN_INTERVAL_MS_CONFIG,
              Type.LONG,
              20L,
              Range.atLeast(0),
              Importance.MEDIUM,
              COMMIT_MIN_INTERVAL_MS_DOC)
          .define(
              COMMIT_LIGHT_INTERVAL_MS_CONFIG,
              Type.LONG,
              5L,
              Range.atLeast(0),
              Importance.LOW,
              COMMIT_LIGHT_INTERVAL_MS_DOC)
          .define(
              COMMIT_LIGHT_MAX_RECORDS_CONFIG,
              Type.LONG,
              8L,
              Range.atLeast(0),
              Importance.LOW,
              COMMIT_LIGHT_MAX_RECORDS_DOC)
          .define(
              ADMIN_PORT_CONFIG, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM, ADMIN_PORT_DOC)
          .define(API_PORT_CONFIG, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM, API_PORT_DOC)
          .define(API_HOST_CONFIG, Type.STRING, "0.0.0.0", Importance.LOW, API_HOST_DOC)
          .define(
              API_ADVERTISED_HOST_CONFIG,
              Type.STRING,
              "",
              Importance.MEDIUM,
              API_ADVERTISED_HOST_DOC)
          .define(API_AUTH_TOKEN_CONFIG, Type.PASSWORD, "", Importance.MEDIUM, API_AUTH_TOKEN_DOC)
          .define(
              API_AUTH_TOKEN_FILE_CONFIG,
              Type.STRING,
              "",
              Importance.MEDIUM,
              API_AUTH_TOKEN_FILE_DOC)
          .define(API_TLS_CERT_CONFIG, Type.STRING, "", Importance.MEDIUM, API_TLS_CERT_DOC)
          .define(API_TLS_KEY_CONFIG, Type.STRING, "", Importance.MEDIUM, API_TLS_KEY_DOC)
          .define(
              API_TLS_KEY_PASSWORD_FILE_CONFIG,
              Type.STRING,
              "",
              Importance.LOW,
              API_TLS_KEY_PASSWORD_FILE_DOC)
          .define(
              API_TLS_CLIENT_CA_CONFIG, Type.STRING, "", Importance.MEDIUM, API_TLS_CLIENT_CA_DOC)
          .define(API_REPLIES_TOPIC_CONFIG, Type.STRING, "", Importance.LOW, API_REPLIES_TOPIC_DOC)
          .define(
              API_CALL_TIMEOUT_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(0),
              Importance.MEDIUM,
              API_CALL_TIMEOUT_MS_DOC)
          .define(
              API_IDEMPOTENCY_RETENTION_MS_CONFIG,
              Type.LONG,
              86_400_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              API_IDEMPOTENCY_RETENTION_MS_DOC)
          .define(
              API_MAX_ADDRESS_BACKLOG_CONFIG,
              Type.LONG,
              1000L,
              Range.atLeast(1),
              Importance.LOW,
              API_MAX_ADDRESS_BACKLOG_DOC)
          .define(
              API_MAX_PENDING_CALLS_CONFIG,
              Type.INT,
              10_000,
              Range.atLeast(1),
              Importance.LOW,
              API_MAX_PENDING_CALLS_DOC)
          .define(
              FAILOVER_DETECTION_ENABLED_CONFIG,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              FAILOVER_DETECTION_ENABLED_DOC)
          .define(
              FAILOVER_PROBE_INTERVAL_MS_CONFIG,
              Type.LONG,
              200L,
              Range.atLeast(10),
              Importance.LOW,
              FAILOVER_PROBE_INTERVAL_MS_DOC)
          .define(
              FAILOVER_PROBE_TIMEOUT_MS_CONFIG,
              Type.LONG,
              500L,
              Range.atLeast(10),
              Importance.LOW,
              FAILOVER_PROBE_TIMEOUT_MS_DOC)
          .define(
              FAILOVER_PROBE_CONFIRMATIONS_CONFIG,
              Type.INT,
              2,
              Range.atLeast(1),
              Importance.LOW,
              FAILOVER_PROBE_CONFIRMATIONS_DOC)
          // limits (robustness)
          .define(
              MAX_IN_FLIGHT_PER_TASK_CONFIG,
              Type.INT,
              1024,
              Range.atLeast(1),
              Importance.LOW,
              MAX_IN_FLIGHT_PER_TASK_DOC)
          .define(
              MAX_MAILBOX_SIZE_CONFIG,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.LOW,
              MAX_MAILBOX_SIZE_DOC)
          .define(
              HEADERS_MAX_BYTES_CONFIG,
              Type.INT,
              16 * 1024,
              Range.atLeast(0),
              Importance.LOW,
              HEADERS_MAX_BYTES_DOC)
          .define(HEADERS_INHERIT_CONFIG, Type.BOOLEAN, true, Importance.LOW, HEADERS_INHERIT_DOC)
          .define(
              TRACING_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM, TRACING_ENABLED_DOC)
          .define(
              CRASH_LOOP_MAX_FAILURES_CONFIG,
              Type.INT,
              5,
              Range.atLeast(1),
              Importance.LOW,
              CRASH_LOOP_MAX_FAILURES_DOC)
          .define(
              CRASH_LOOP_WINDOW_MS_CONFIG,
              Type.LONG,
              1_800_000L,
              Range.atLeast(1),
              Importance.LOW,
              CRASH_LOOP_WINDOW_MS_DOC);

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
      throw new ConfigException(
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

  /** The topic of the answers to HTTP API calls. */
  public String apiRepliesTopic() {
    return orDefault(API_REPLIES_TOPIC_CONFIG, "-api-replies");
  }

  /** Whether the HTTP API is enabled. */
  public boolean apiEnabled() {
    return getInt(API_PORT_CONFIG) >= 0;
  }

  public String doorbellTopic() {
    return orDefault(DOORBELL_TOPIC_CONFIG, "-doorbell");
  }

  public String deadLetterTopic() {
    return orDefault(DEAD_LETTER_TOPIC_CONFIG, "-dead-letters");
  }

  /**
   * The Kafka Streams producer's {@code max.request.size}: {@code producer.max.request.size}, else
   * {@code max.request.size}, else Kafka's default (1 MiB). Every record size limit of the runtime
   * is derived from it (see {@code RecordSizes}).
   *
   * @throws ConfigException if it is not a number or smaller than {@link #MIN_MAX_REQUEST_SIZE}
   */
  public int producerMaxRequestSize() {
    return maxRequestSize(originals());
  }

  /** The smallest producer {@code max.request.size} the runtime accepts (64 KiB). */
  public static final int MIN_MAX_REQUEST_SIZE = 64 * 1024;

  private static int maxRequestSize(Map<?, ?> props) {
    String key = StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    Object value = props.get(key);
    if (value == null) {
      key = ProducerConfig.MAX_REQUEST_SIZE_CONFIG;
      value = props.get(key);
    }
    if (value == null) {
      return DEFAULT_MAX_REQUEST_SIZE;
    }
    int size = (Integer) ConfigDef.parseType(key, value, Type.INT);
    if (size < MIN_MAX_REQUEST_SIZE) {
      throw new ConfigException(
          key,
          value,
          "kstatefun needs at least "
              + MIN_MAX_REQUEST_SIZE
              + " bytes: every record it writes must fit, with room for its envelope and dead-letter headers");
    }
    return size;
  }

  /** Kafka's default {@code max.request.size}. */
  private static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

  /**
   * Refuses a {@code processing.guarantee} other than {@code exactly_once_v2} unless {@value
   * #ALLOW_AT_LEAST_ONCE_CONFIG} is true: the runtime's exactly-once effects rest on Kafka
   * transactions, so another guarantee must never be chosen by accident.
   *
   * @param streamsProps the properties Kafka Streams will get ({@link #streamsProperties})
   * @return the guarantee
   * @throws ConfigException naming the setting, its value and the switch
   */
  public String requireProcessingGuarantee(Properties streamsProps) {
    Object value = streamsProps.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
    String guarantee = value == null ? StreamsConfig.AT_LEAST_ONCE : value.toString().trim();
    if (!guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)
        && !getBoolean(ALLOW_AT_LEAST_ONCE_CONFIG)) {
      throw new ConfigException(
          StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
          value,
          "kstatefun runs with exactly_once_v2 only: under another guarantee a crash can apply function "
              + "effects (state, messages, egress records) twice. Remove the setting, or, for tests only, "
              + "set "
              + ALLOW_AT_LEAST_ONCE_CONFIG
              + "=true");
    }
    return guarantee;
  }

  private String orDefault(String key, String suffix) {
    String v = getString(key);
    return v == null || v.isBlank() ? applicationId + suffix : v;
  }

  /**
   * The properties for Kafka Streams: kstatefun's defaults, overridden by everything the user gave
   * that is not a {@code kstatefun.*} key.
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
    // Changelog topics Kafka Streams creates accept every record the producer sends (RecordSizes).
    p.putIfAbsent(
        StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
        Integer.toString(maxRequestSize(user)));
    return p;
  }
}
