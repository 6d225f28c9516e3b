package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.IngressRouter;
import io.kstatefun.routing.module.EndpointRouter;
import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaEgressSpec;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.dispatch.CallOutcome;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.dispatch.StateSpecRegistry;
import io.kstatefun.runtime.internals.dispatch.Tracing;
import io.kstatefun.runtime.internals.http.FunctionClient;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * What all tasks of one runtime instance share: the module, the routers, the function client, the
 * doorbell and timer alarms, the state spec registry and the settings.
 *
 * <p>Threading: immutable after construction except for the thread-safe members (spec registry,
 * client, doorbell, alarms, task registry); shared by all stream threads.
 */
public final class RuntimeServices {

  private final KStatefunConfig config;
  private final ModuleSpec module;
  private final IngressRouter ingressRouter;
  private final EndpointRouter endpointRouter;
  private final Dispatcher.Directory directory;
  private final StateSpecRegistry specs = new StateSpecRegistry();
  private final FunctionClient client;
  private final Doorbell doorbell;
  private final ScheduledExecutorService alarms;
  private final int numPartitions;
  private final LongSupplier clock;
  private final RuntimeListener listener;
  private final Dispatcher.Limits limits;
  private final EndpointInFlightLimiter inFlightLimiter;
  private final TaskRegistry tasks = new TaskRegistry();
  private final Map<String, KafkaIngressSpec> ingressByTopic = new HashMap<>();
  private final boolean commitOnOutput;

  /** The runtime's own topics, resolved once: the stream thread asks for them per record. */
  private final String loopbackTopic;

  private final String doorbellTopic;
  private final CommitPacer commitPacer;
  private final SameThreadDelivery sameThread;
  private final RecordSizes recordSizes;
  private final EgressTopicCheck egressTopics;
  private final IngressHeaders ingressHeaders;
  private final Tracing tracing;

  RuntimeServices(
      KStatefunConfig config,
      ModuleSpec module,
      FunctionClient client,
      Doorbell doorbell,
      ScheduledExecutorService alarms,
      int numPartitions,
      LongSupplier clock,
      RuntimeListener listener,
      EgressTopicCheck egressTopics) {
    this(
        config,
        module,
        client,
        doorbell,
        alarms,
        numPartitions,
        clock,
        listener,
        egressTopics,
        Tracing.OFF);
  }

  /**
   * @param tracing the tracing of the dispatchers: {@link Tracing#OFF}, or what {@code
   *     kstatefun.tracing.enabled} set up
   */
  RuntimeServices(
      KStatefunConfig config,
      ModuleSpec module,
      FunctionClient client,
      Doorbell doorbell,
      ScheduledExecutorService alarms,
      int numPartitions,
      LongSupplier clock,
      RuntimeListener listener,
      EgressTopicCheck egressTopics,
      Tracing tracing) {
    this.tracing = tracing;
    this.config = config;
    this.module = module;
    this.ingressRouter = IngressRouter.of(module.ingresses());
    this.endpointRouter = module.endpointRouter();
    Set<String> egressIds = new HashSet<>();
    for (KafkaEgressSpec egress : module.egresses()) {
      egressIds.add(egress.id().toString());
    }
    this.directory =
        new Dispatcher.Directory() {
          @Override
          public boolean hasFunction(FunctionType type) {
            return endpointRouter.endpointFor(type).isPresent();
          }

          @Override
          public boolean hasEgress(String egressId) {
            return egressIds.contains(egressId);
          }

          @Override
          public boolean egressTopicExists(String topic) {
            return egressTopics.test(topic);
          }

          @Override
          public int maxBatchSize(FunctionType type) {
            return endpointRouter
                .endpointFor(type)
                .map(e -> e.maxNumBatchRequests())
                .orElse(Integer.MAX_VALUE);
          }
        };
    this.egressTopics = egressTopics;
    this.client = client;
    this.doorbell = doorbell;
    this.alarms = alarms;
    this.numPartitions = numPartitions;
    this.clock = clock;
    this.listener = listener;
    long maxMailbox = config.getLong(KStatefunConfig.MAX_MAILBOX_SIZE_CONFIG);
    this.recordSizes = new RecordSizes(config.producerMaxRequestSize());
    this.limits =
        new Dispatcher.Limits(
            config.getInt(KStatefunConfig.MAX_BATCH_SIZE_CONFIG),
            3,
            config.getLong(KStatefunConfig.MAX_PENDING_TIMERS_CONFIG),
            10_000,
            config.getInt(KStatefunConfig.MAX_IN_FLIGHT_PER_TASK_CONFIG),
            100_000,
            maxMailbox <= 0 ? Long.MAX_VALUE : maxMailbox,
            recordSizes.maxRecordBytes());
    this.inFlightLimiter = new EndpointInFlightLimiter(endpointRouter, this::ring);
    for (KafkaIngressSpec ingress : module.ingresses()) {
      for (IngressTopic topic : ingress.topics()) {
        ingressByTopic.putIfAbsent(topic.topic(), ingress);
      }
    }
    this.ingressHeaders =
        new IngressHeaders(
            config.getInt(KStatefunConfig.HEADERS_MAX_BYTES_CONFIG), tracing.enabled());
    this.commitOnOutput = config.getBoolean(KStatefunConfig.COMMIT_ON_OUTPUT_CONFIG);
    this.loopbackTopic = config.loopbackTopic();
    this.doorbellTopic = config.doorbellTopic();
    this.commitPacer =
        new CommitPacer(
            config.getLong(KStatefunConfig.COMMIT_MIN_INTERVAL_MS_CONFIG),
            config.getLong(KStatefunConfig.COMMIT_LIGHT_INTERVAL_MS_CONFIG),
            config.getLong(KStatefunConfig.COMMIT_LIGHT_MAX_RECORDS_CONFIG));
    this.sameThread =
        new SameThreadDelivery(config.getBoolean(KStatefunConfig.DELIVERY_SAME_THREAD_CONFIG));
  }

  KStatefunConfig config() {
    return config;
  }

  ModuleSpec module() {
    return module;
  }

  Tracing tracing() {
    return tracing;
  }

  IngressHeaders ingressHeaders() {
    return ingressHeaders;
  }

  IngressRouter ingressRouter() {
    return ingressRouter;
  }

  Dispatcher.Directory directory() {
    return directory;
  }

  StateSpecRegistry specs() {
    return specs;
  }

  FunctionClient client() {
    return client;
  }

  ScheduledExecutorService alarms() {
    return alarms;
  }

  int numPartitions() {
    return numPartitions;
  }

  LongSupplier clock() {
    return clock;
  }

  RuntimeListener listener() {
    return listener;
  }

  Dispatcher.Limits limits() {
    return limits;
  }

  EndpointInFlightLimiter inFlightLimiter() {
    return inFlightLimiter;
  }

  /** Whether the module has an endpoint for {@code type}. Any thread. */
  public boolean hasFunction(io.kstatefun.routing.FunctionType type) {
    return directory.hasFunction(type);
  }

  /** The tasks running on this instance. */
  public TaskRegistry tasks() {
    return tasks;
  }

  boolean commitOnOutput() {
    return commitOnOutput;
  }

  CommitPacer commitPacer() {
    return commitPacer;
  }

  /** The tasks of each stream thread that may take messages from another task of it directly. */
  SameThreadDelivery sameThread() {
    return sameThread;
  }

  /** Most bytes of key and value of a message record (mailbox entry, loopback record). */
  public int maxMessageRecordBytes() {
    return recordSizes.maxRecordBytes();
  }

  RecordSizes recordSizes() {
    return recordSizes;
  }

  String loopbackTopic() {
    return loopbackTopic;
  }

  String doorbellTopic() {
    return doorbellTopic;
  }

  String deadLetterTopic() {
    return config.deadLetterTopic();
  }

  /**
   * The dead-letter topic for records of {@code sourceTopic}: the ingress's own, or the default.
   */
  String deadLetterTopicFor(String sourceTopic) {
    KafkaIngressSpec ingress = ingressByTopic.get(sourceTopic);
    return ingress == null
        ? config.deadLetterTopic()
        : ingress.deadLetterTopic().orElse(config.deadLetterTopic());
  }

  KafkaIngressSpec.OnError onErrorFor(String topic) {
    KafkaIngressSpec ingress = ingressByTopic.get(topic);
    return ingress == null ? KafkaIngressSpec.OnError.DEAD_LETTER : ingress.onError();
  }

  /**
   * True when the dispatcher can apply {@code outcome} without waiting for the cluster: it failed,
   * or whether each egress topic its answer writes to exists is known. Otherwise the lookups start
   * and {@code wake} runs (on another thread) when one ends. Never blocks.
   */
  boolean egressTopicsKnown(CallOutcome outcome, Runnable wake) {
    if (!outcome.succeeded()) {
      return true;
    }
    Collection<String> topics = EgressTopics.topicsOf(outcome.response());
    return topics.isEmpty() || egressTopics.answered(topics, wake);
  }

  /** Partitions whose task should request a commit on its next pass (state reads wait for it). */
  private final java.util.Set<Integer> commitRequests =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Asks the task of {@code partition} to request a commit soon, and wakes it: a state read with
   * {@code consistency=committed} waits for that commit. Any thread; never blocks.
   */
  void requestCommit(int partition) {
    commitRequests.add(partition);
    ring(partition);
  }

  /** Whether a commit was asked for {@code partition} since the last call; clears the request. */
  boolean takeCommitRequest(int partition) {
    return commitRequests.remove(partition);
  }

  void ring(int partition) {
    if (doorbell != null) {
      doorbell.ring(partition);
    }
  }
}
