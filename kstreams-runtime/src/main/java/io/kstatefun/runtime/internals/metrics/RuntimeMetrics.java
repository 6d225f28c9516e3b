package io.kstatefun.runtime.internals.metrics;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.internals.http.FunctionCallException;
import io.kstatefun.runtime.internals.topology.CrashLoopGuard;
import io.kstatefun.runtime.internals.topology.TaskRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The runtime's Micrometer metrics. Per function type: invocations, batches and batch sizes,
 * mailbox backlog, messages routed locally or through the loopback topic, remote call latency and
 * failures, retries, dead letters; per instance: egress records, in-flight calls, pending timers,
 * timer lateness, ingress rejections, restoration progress; plus Kafka Streams' own client metrics
 * (commit latency and rate, consumer lag...) and JVM metrics.
 *
 * <p>All names start with {@code kstatefun.} (Prometheus: {@code kstatefun_}).
 *
 * <p>Threading: meters are thread-safe; called from stream threads and HTTP client threads.
 */
public final class RuntimeMetrics implements RuntimeListener, StateRestoreListener {

  private final MeterRegistry registry;

  /**
   * The per-message meters, registered once and kept here: building a meter through its builder on
   * every event costs a tag merge, an id and a registry lookup each time.
   */
  private final ConcurrentHashMap<MeterKey, Object> meters = new ConcurrentHashMap<>();

  private final AtomicLong restoringRemaining = new AtomicLong();
  private final AtomicLong restoringStores = new AtomicLong();
  private KafkaStreamsMetrics streamsMetrics;

  public RuntimeMetrics(MeterRegistry registry) {
    this.registry = registry;
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Gauge.builder("kstatefun.restoration.remaining.records", restoringRemaining, AtomicLong::get)
        .description("Changelog records still to restore before the restoring tasks can run")
        .register(registry);
    Gauge.builder("kstatefun.restoration.active.stores", restoringStores, AtomicLong::get)
        .description("State stores being restored now")
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Binds instance-level gauges and Kafka Streams' client metrics. */
  public void bind(KafkaStreams streams, TaskRegistry tasks) {
    Gauge.builder("kstatefun.inflight.requests", tasks, TaskRegistry::inFlightTotal)
        .description("Remote function calls in flight on this instance")
        .register(registry);
    Gauge.builder("kstatefun.timers.pending", tasks, TaskRegistry::pendingTimersTotal)
        .description("Pending delayed messages and state expiry checks on this instance's tasks")
        .register(registry);
    Gauge.builder("kstatefun.tasks.active", tasks, t -> t.partitions().size())
        .description("Active tasks (partitions) on this instance")
        .register(registry);
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
  }

  /** Binds the stream thread failure and crash-loop meters. */
  public void bind(CrashLoopGuard crashLoops) {
    FunctionCounter.builder(
            "kstatefun.stream.thread.failures", crashLoops, CrashLoopGuard::failuresTotal)
        .description("Stream threads that failed and were replaced")
        .register(registry);
    FunctionCounter.builder("kstatefun.crash.loops", crashLoops, CrashLoopGuard::crashLoopsTotal)
        .description("Times a task was found crash looping (kstatefun.crash.loop.max.failures)")
        .register(registry);
    Gauge.builder("kstatefun.tasks.crash.looping", crashLoops, c -> c.crashLoopingTasks().size())
        .description("Tasks crash looping now; /health/live answers 503 while it is above 0")
        .register(registry);
  }

  /** Whether a restoration is in progress. */
  public boolean restoring() {
    return restoringStores.get() > 0;
  }

  public void close() {
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
  }

  // --- dispatcher
  // ---------------------------------------------------------------------------------

  /** Which per-message meter: its kind, function type (or null) and variant. */
  private record MeterKey(String kind, FunctionType type, String variant) {}

  /**
   * The meter for {@code key}, registered by {@code create} the first time it is needed (so, as
   * before, a meter appears once its event first happened).
   */
  @SuppressWarnings("unchecked")
  private <M> M meter(MeterKey key, java.util.function.Function<MeterKey, M> create) {
    Object m = meters.get(key);
    if (m == null) {
      m = meters.computeIfAbsent(key, create);
    }
    return (M) m;
  }

  @Override
  public void batchSent(FunctionType type, int size, boolean retry) {
    Counter batches =
        meter(
            new MeterKey("batches", type, retry ? "true" : "false"),
            k ->
                Counter.builder("kstatefun.batches")
                    .description(
                        "Requests sent to functions (retry=true: state negotiation or recovery"
                            + " resend)")
                    .tag("function_type", type.toString())
                    .tag("retry", k.variant())
                    .register(registry));
    batches.increment();
    if (!retry) {
      Counter invocations =
          meter(
              new MeterKey("invocations", type, null),
              k ->
                  Counter.builder("kstatefun.invocations")
                      .description("Messages delivered to functions")
                      .tag("function_type", type.toString())
                      .register(registry));
      invocations.increment(size);
    }
    DistributionSummary batchSize =
        meter(
            new MeterKey("batch.size", type, null),
            k ->
                DistributionSummary.builder("kstatefun.batch.size")
                    .description("Messages per request")
                    .tag("function_type", type.toString())
                    .register(registry));
    batchSize.record(size);
  }

  @Override
  public void backlog(FunctionType type, long pending) {
    DistributionSummary backlog =
        meter(
            new MeterKey("backlog", type, null),
            k ->
                DistributionSummary.builder("kstatefun.mailbox.backlog")
                    .description(
                        "Messages in an address's mailbox when a batch goes out (max = largest"
                            + " backlog)")
                    .tag("function_type", type.toString())
                    .register(registry));
    backlog.record(pending);
  }

  @Override
  public void messageRouted(FunctionType target, boolean local) {
    Counter routed =
        meter(
            new MeterKey("messages", target, local ? "local" : "loopback"),
            k ->
                Counter.builder("kstatefun.messages")
                    .description(
                        "Messages to functions by route: local (same partition) or loopback topic")
                    .tag("function_type", target.toString())
                    .tag("route", k.variant())
                    .register(registry));
    routed.increment();
  }

  @Override
  public void messageDeliveredSameThread(FunctionType target) {
    Counter.builder("kstatefun.messages.same.thread")
        .description(
            "Of the messages routed to another partition (kstatefun.messages, route loopback), those"
                + " put straight into the target task's mailbox on the sender's stream thread")
        .tag("function_type", target.toString())
        .register(registry)
        .increment();
  }

  @Override
  public void egressEmitted(String egressId) {
    Counter egress =
        meter(
            new MeterKey("egress.records", null, egressId),
            k ->
                Counter.builder("kstatefun.egress.records")
                    .description("Records written to Kafka egresses")
                    .tag("egress", egressId)
                    .register(registry));
    egress.increment();
  }

  @Override
  public void deadLettered(FunctionType type, DeadLetterReason reason, int count) {
    Counter.builder("kstatefun.dead.lettered")
        .description("Function messages written to the dead-letter topic")
        .tag("function_type", type.toString())
        .tag("reason", reason.name())
        .register(registry)
        .increment(count);
  }

  @Override
  public void timerFired(long lateMs) {
    Timer.builder("kstatefun.timer.lateness")
        .description("How late delayed messages fired after their due time")
        .publishPercentileHistogram()
        .register(registry)
        .record(Math.max(0, lateMs), TimeUnit.MILLISECONDS);
  }

  // --- HTTP client
  // --------------------------------------------------------------------------------

  @Override
  public void attempt(FunctionType type, long nanos, boolean ok) {
    Timer call =
        meter(
            new MeterKey("remote.call", type, ok ? "success" : "failure"),
            k ->
                Timer.builder("kstatefun.remote.call")
                    .description("Latency of HTTP requests to functions")
                    .tag("function_type", type.toString())
                    .tag("outcome", k.variant())
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(100_000))
                    .maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry));
    call.record(nanos, TimeUnit.NANOSECONDS);
    if (!ok) {
      Counter failures =
          meter(
              new MeterKey("remote.call.failures", type, null),
              k ->
                  Counter.builder("kstatefun.remote.call.failures")
                      .description("Failed HTTP requests to functions")
                      .tag("function_type", type.toString())
                      .register(registry));
      failures.increment();
    }
  }

  @Override
  public void retry(FunctionType type, FunctionCallException.Kind kind) {
    Counter.builder("kstatefun.remote.call.retries")
        .description("Retries of function calls")
        .tag("function_type", type.toString())
        .tag("kind", kind.name())
        .register(registry)
        .increment();
  }

  // --- ingress
  // ------------------------------------------------------------------------------------

  @Override
  public void ingressRejected(String topic, String reason, KafkaIngressSpec.OnError policy) {
    Counter.builder("kstatefun.ingress.rejected")
        .description("Ingress records that could not be routed")
        .tag("topic", topic)
        .tag("reason", reason)
        .tag("policy", policy.yamlName())
        .register(registry)
        .increment();
  }

  @Override
  public void deadLetteredRecord(String sourceTopic, String reason) {
    Counter.builder("kstatefun.dead.lettered.records")
        .description(
            "Raw records written to a dead-letter topic: ingress or loopback records, "
                + "unreadable store records (topic = the store)")
        .tag("topic", sourceTopic)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  // --- restoration
  // --------------------------------------------------------------------------------

  @Override
  public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
    restoringStores.incrementAndGet();
    restoringRemaining.addAndGet(Math.max(0, end - start));
  }

  @Override
  public void onBatchRestored(
      TopicPartition partition, String store, long batchEnd, long restored) {
    restoringRemaining.addAndGet(-restored);
    Counter.builder("kstatefun.restoration.records")
        .description("Changelog records restored")
        .register(registry)
        .increment(restored);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long total) {
    if (restoringStores.decrementAndGet() <= 0) {
      restoringStores.set(0);
      restoringRemaining.set(0);
    }
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    onRestoreEnd(partition, store, totalRestored);
  }
}
