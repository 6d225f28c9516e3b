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

  @Override
  public void batchSent(FunctionType type, int size, boolean retry) {
    Counter.builder("kstatefun.batches")
        .description(
            "Requests sent to functions (retry=true: state negotiation or recovery resend)")
        .tag("function_type", type.toString())
        .tag("retry", Boolean.toString(retry))
        .register(registry)
        .increment();
    if (!retry) {
      Counter.builder("kstatefun.invocations")
          .description("Messages delivered to functions")
          .tag("function_type", type.toString())
          .register(registry)
          .increment(size);
    }
    DistributionSummary.builder("kstatefun.batch.size")
        .description("Messages per request")
        .tag("function_type", type.toString())
        .register(registry)
        .record(size);
  }

  @Override
  public void backlog(FunctionType type, long pending) {
    DistributionSummary.builder("kstatefun.mailbox.backlog")
        .description(
            "Messages in an address's mailbox when a batch goes out (max = largest backlog)")
        .tag("function_type", type.toString())
        .register(registry)
        .record(pending);
  }

  @Override
  public void messageRouted(FunctionType target, boolean local) {
    Counter.builder("kstatefun.messages")
        .description("Messages to functions by route: local (same partition) or loopback topic")
        .tag("function_type", target.toString())
        .tag("route", local ? "local" : "loopback")
        .register(registry)
        .increment();
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
    Counter.builder("kstatefun.egress.records")
        .description("Records written to Kafka egresses")
        .tag("egress", egressId)
        .register(registry)
        .increment();
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
    Timer.builder("kstatefun.remote.call")
        .description("Latency of HTTP requests to functions")
        .tag("function_type", type.toString())
        .tag("outcome", ok ? "success" : "failure")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    if (!ok) {
      Counter.builder("kstatefun.remote.call.failures")
          .description("Failed HTTP requests to functions")
          .tag("function_type", type.toString())
          .register(registry)
          .increment();
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
