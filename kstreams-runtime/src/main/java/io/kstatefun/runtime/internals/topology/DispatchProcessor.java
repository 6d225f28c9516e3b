package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.Routed;
import io.kstatefun.routing.RoutingException;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.dispatch.Action;
import io.kstatefun.runtime.internals.dispatch.ApiInvocationStore;
import io.kstatefun.runtime.internals.dispatch.CallOutcome;
import io.kstatefun.runtime.internals.dispatch.CorruptStoreRecordException;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.http.FunctionCallException;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka Streams shell around one task's {@link Dispatcher}: it turns records (ingress,
 * loopback, doorbell), call completions and wall-clock time into dispatcher events, and carries out
 * the dispatcher's {@link Action}s: HTTP calls, loopback/egress/dead-letter records.
 *
 * <p>Threading: the stream thread owns this processor, its dispatcher and its stores. HTTP
 * callbacks (Vert.x threads) only add to {@link #completions} and ring the doorbell; the timer
 * alarm and egress topic lookups only ring it (ringing never blocks); the stream thread applies
 * completions in {@link #drain}. A processor that was closed (task migrated, revived or shut down)
 * drops late completions: its successor re-sends the in-flight batches it finds in the durable
 * mailbox.
 */
final class DispatchProcessor implements Processor<byte[], byte[], byte[], Object> {

  private static final Logger LOG = LoggerFactory.getLogger(DispatchProcessor.class);

  private final RuntimeServices services;
  private final ConcurrentLinkedQueue<CallOutcome> completions = new ConcurrentLinkedQueue<>();

  /** Calls in flight, by request id; cancelled on close so their retries stop. */
  private final java.util.concurrent.ConcurrentHashMap<
          Long, java.util.concurrent.CompletableFuture<?>>
      calls = new java.util.concurrent.ConcurrentHashMap<>();

  /** Finished calls waiting for egress topic lookups (see {@link #apply}); stream thread only. */
  private final java.util.ArrayDeque<CallOutcome> held = new java.util.ArrayDeque<>();

  private final AtomicBoolean rung = new AtomicBoolean();
  private volatile boolean closed;

  private ProcessorContext<byte[], Object> context;
  private Dispatcher dispatcher;
  private int partition;
  private volatile long alarmAt = Long.MAX_VALUE;
  private ScheduledFuture<?> alarm;

  /** Output is waiting for a commit that the {@link CommitPacer} deferred. */
  private boolean commitPending;

  private long pendingEpoch;
  private ScheduledFuture<?> commitWake;

  /** The armed safety-net punctuation ({@link #armSafetyNet}), and when it fires (clock ms). */
  private org.apache.kafka.streams.processor.Cancellable safetyNet;

  private long safetyNetAt = Long.MAX_VALUE;
  private long busyCheckMs;
  private long idleCheckMs;

  DispatchProcessor(RuntimeServices services) {
    this.services = services;
  }

  @Override
  public void init(ProcessorContext<byte[], Object> context) {
    try {
      start(context);
    } catch (RuntimeException e) {
      // Kafka Streams does not say which task failed in init(); the crash-loop guard needs it.
      throw new StreamsException(
          "task " + context.taskId() + " failed to start: " + e, e, context.taskId());
    }
  }

  private void start(ProcessorContext<byte[], Object> context) {
    this.context = context;
    this.closed = false;
    // Kafka Streams may close and init the same processor instance again (task revival).
    this.alarmAt = Long.MAX_VALUE;
    this.alarm = null;
    this.partition = context.taskId().partition();
    KeyValueStore<Bytes, byte[]> mailbox = context.getStateStore(TopologyFactory.MAILBOX_STORE);
    KeyValueStore<Bytes, byte[]> state = context.getStateStore(TopologyFactory.STATE_STORE);
    KeyValueStore<Bytes, byte[]> timers = context.getStateStore(TopologyFactory.TIMER_STORE);
    this.cachedStores =
        services.config().apiEnabled()
            ? List.of(mailbox, state, timers, context.getStateStore(TopologyFactory.API_STORE))
            : List.of(mailbox, state, timers);
    this.cacheFlushable =
        cachedStores.stream()
            .allMatch(
                s -> s instanceof org.apache.kafka.streams.state.internals.CachedStateStore<?, ?>);
    this.dispatcher =
        new Dispatcher(
            partition,
            services.numPartitions(),
            new KafkaDispatchStores(mailbox, state, timers),
            services.directory(),
            services.specs(),
            services.clock(),
            services.limits(),
            services.listener(),
            Dispatcher.Options.defaults()
                .withLimiter(services.inFlightLimiter())
                .withApi(
                    services.config().apiEnabled()
                        ? new KafkaApiInvocationStore(
                            context.getStateStore(TopologyFactory.API_STORE))
                        : ApiInvocationStore.inMemory(),
                    services.config().getLong(KStatefunConfig.API_IDEMPOTENCY_RETENTION_MS_CONFIG),
                    services.config().getLong(KStatefunConfig.API_MAX_ADDRESS_BACKLOG_CONFIG))
                .withHeaders(
                    services.config().getBoolean(KStatefunConfig.HEADERS_INHERIT_CONFIG),
                    services.tracing()));
    this.busyCheckMs = services.config().getLong(KStatefunConfig.TIMER_CHECK_INTERVAL_MS_CONFIG);
    this.idleCheckMs = services.config().getLong(KStatefunConfig.IDLE_CHECK_INTERVAL_MS_CONFIG);
    this.safetyNet = null;
    this.safetyNetAt = Long.MAX_VALUE;
    // Re-send in-flight batches (calls only). Never forward records from init(): Kafka Streams
    // initializes this processor before its sink nodes. Timers already due are fired by the first
    // punctuation or doorbell ring, which armAlarm() schedules at once.
    deferred.clear();
    for (Action action : dispatcher.onRecover()) {
      if (action instanceof Action.Invoke) {
        perform(List.of(action));
      } else {
        deferred.add(action); // records are forwarded on the first punctuation or record
      }
    }
    armAlarm();
    armSafetyNet();
    services.tasks().register(partition, dispatcher);
    services.sameThread().register(partition, this);
  }

  /** The safety-net pass: what a doorbell ring would have made the task do. */
  private void onSafetyNet(long now) {
    if (safetyNet != null) {
      safetyNet.cancel(); // re-armed below as the work left requires
      safetyNet = null;
    }
    safetyNetAt = Long.MAX_VALUE;
    performDeferred();
    takeCommitRequest();
    drain();
    purgeExpiredInvocations(now);
    fireTimers();
    armAlarm();
    requestPendingCommit();
    armSafetyNet();
  }

  /**
   * Schedules the wall-clock safety-net punctuation as the task's pending work requires: every
   * {@code kstatefun.timer.check.interval.ms} while it has work in memory (calls in flight, answers
   * or deferred records to apply, output waiting for a commit), when its next timer is due,
   * otherwise every {@code kstatefun.idle.check.interval.ms}. Kafka Streams marks a task as needing
   * a commit after each punctuation, so a punctuation that keeps firing makes an idle instance run
   * a transaction every {@code commit.interval.ms}. Idle checks fall on multiples of their
   * interval, so that the idle tasks of a thread share one commit. Stream thread only.
   */
  private void armSafetyNet() {
    long now = services.clock().getAsLong();
    long at;
    if (workPending()) {
      at = now + busyCheckMs;
    } else {
      long idleAt = (now / idleCheckMs + 1) * idleCheckMs;
      long due = dispatcher.nextTimerDue();
      // At a timer's due time (its alarm rings then too), or soon if one is overdue.
      at = Math.min(idleAt, due > now ? due : now + busyCheckMs);
    }
    // Keep the armed one unless it fires later than needed, or much sooner (a busy check left
    // over from work that is done: its punctuation would cost a commit). One already due stays:
    // Kafka Streams punctuates only between batches of records, and moving it on every record
    // would starve it under load.
    if (safetyNet != null
        && safetyNetAt <= at
        && (safetyNetAt > at - busyCheckMs || safetyNetAt <= now)) {
      return;
    }
    if (safetyNet != null) {
      safetyNet.cancel();
    }
    safetyNetAt = at;
    safetyNet =
        context.schedule(
            Duration.ofMillis(Math.max(1, at - now)),
            PunctuationType.WALL_CLOCK_TIME,
            this::onSafetyNet);
  }

  /** Whether the task has work in memory that a lost doorbell ring would leave waiting. */
  private boolean workPending() {
    return commitPending
        || !calls.isEmpty()
        || !completions.isEmpty()
        || !held.isEmpty()
        || !deferred.isEmpty()
        || dispatcher.inFlightCount() > 0
        || dispatcher.waitingAddresses() > 0;
  }

  /** Actions decided in init() that forward records; performed once the sinks are initialized. */
  private final java.util.ArrayList<Action> deferred = new java.util.ArrayList<>();

  private void performDeferred() {
    if (!deferred.isEmpty()) {
      List<Action> actions = List.copyOf(deferred);
      deferred.clear();
      perform(actions);
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    services.commitPacer().recordProcessed(services.commitPacer().thread());
    performDeferred();
    drain();
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    String topic = meta.topic();
    if (topic.equals(services.doorbellTopic())) {
      // Nothing to do but what drain() did; the record only woke us up.
      takeCommitRequest();
    } else if (topic.equals(services.loopbackTopic())) {
      services.sameThread().onLoopbackRead(partition, record.headers());
      onLoopback(record, meta);
    } else {
      onIngress(record, meta);
    }
    fireTimers();
    armAlarm();
    requestPendingCommit();
    armSafetyNet();
  }

  private void onLoopback(Record<byte[], byte[]> record, RecordMetadata meta) {
    Envelope envelope;
    try {
      envelope = Envelope.parseFrom(record.value() == null ? new byte[0] : record.value());
      if (!envelope.hasTarget()) {
        throw new InvalidProtocolBufferException("loopback record has no target address");
      }
      String problem = Dispatcher.invalidAddress(envelope.getTarget());
      if (problem == null && envelope.hasCaller()) {
        problem = Dispatcher.invalidAddress(envelope.getCaller());
      }
      if (problem != null) {
        throw new InvalidProtocolBufferException(
            "loopback record has an invalid address " + problem);
      }
    } catch (InvalidProtocolBufferException e) {
      deadLetterRaw(
          record, meta, DeadLetterReason.MALFORMED_LOOPBACK_RECORD.name(), e.getMessage(), e);
      return;
    }
    perform(dispatcher.onMessage(envelope));
  }

  private void onIngress(Record<byte[], byte[]> record, RecordMetadata meta) {
    List<Routed> routed;
    try {
      IngressHeaders.Captured headers =
          services
              .ingressHeaders()
              .capture(services.ingressRouter().forwardHeaders(meta.topic()), record.headers());
      if (services.ingressHeaders().tooLarge(headers)) {
        throw new RoutingException(
            RoutingException.Reason.HEADERS_TOO_LARGE,
            meta.topic(),
            services.ingressRouter().ingressesFor(meta.topic()).stream()
                .map(KafkaIngressSpec::id)
                .toList(),
            "the "
                + headers.headers().size()
                + " header(s) the record's messages would carry have "
                + headers.bytes()
                + " bytes, more than "
                + KStatefunConfig.HEADERS_MAX_BYTES_CONFIG
                + "="
                + services.ingressHeaders().maxBytes());
      }
      routed =
          services
              .ingressRouter()
              .route(meta.topic(), record.key(), record.value(), headers.headers());
    } catch (RoutingException e) {
      onRoutingFailure(record, meta, e);
      return;
    }
    Origin origin =
        Origin.newBuilder()
            .setTopic(meta.topic())
            .setPartition(meta.partition())
            .setOffset(meta.offset())
            .setTimestampMs(record.timestamp())
            .build();
    List<Envelope> envelopes = new java.util.ArrayList<>(routed.size());
    for (Routed r : routed) {
      Envelope envelope =
          Envelope.newBuilder()
              .setTarget(r.target().toProto())
              .setArgument(r.argument())
              .setOrigin(origin)
              .build();
      long size = Dispatcher.messageRecordBytes(envelope);
      int max = services.recordSizes().maxRecordBytes();
      if (size > max) {
        // Within maxRecordBytes, but its message would not fit what the producer accepts.
        onRoutingFailure(
            record,
            meta,
            new RoutingException(
                RoutingException.Reason.RECORD_TOO_LARGE,
                meta.topic(),
                services.ingressRouter().ingressesFor(meta.topic()).stream()
                    .map(KafkaIngressSpec::id)
                    .toList(),
                "the record value has "
                    + record.value().length
                    + " bytes; as a message to "
                    + r.target().type()
                    + " it would be a record of "
                    + size
                    + " bytes, more than the "
                    + max
                    + " bytes the runtime writes per record"
                    + " (the producer's max.request.size "
                    + services.recordSizes().maxRequestSize()
                    + " less "
                    + (services.recordSizes().maxRequestSize() - max)
                    + " bytes of headroom). Raise producer.max.request.size"
                    + " or lower the ingress's maxRecordBytes"));
        return;
      }
      envelopes.add(envelope);
    }
    for (Envelope envelope : envelopes) {
      // Ingress topics need not be partitioned like the loopback topic: the dispatcher forwards a
      // message for an address this partition does not own through the loopback topic.
      perform(dispatcher.onMessage(envelope));
    }
  }

  private void onRoutingFailure(
      Record<byte[], byte[]> record, RecordMetadata meta, RoutingException e) {
    KafkaIngressSpec.OnError policy = services.onErrorFor(meta.topic());
    services.listener().ingressRejected(meta.topic(), e.reason().name(), policy);
    switch (policy) {
      case SKIP ->
          LOG.warn(
              "Skipping ingress record {}-{}@{}: {} ({})",
              meta.topic(),
              meta.partition(),
              meta.offset(),
              e.reason(),
              e.getMessage());
      case FAIL ->
          throw new IngressFailureException(
              "Ingress record "
                  + meta.topic()
                  + "-"
                  + meta.partition()
                  + "@"
                  + meta.offset()
                  + " cannot be routed and the ingress's onError is 'fail': "
                  + e.getMessage(),
              e);
      default -> deadLetterRaw(record, meta, e.reason().name(), e.getMessage(), e);
    }
  }

  private void deadLetterRaw(
      Record<byte[], byte[]> record,
      RecordMetadata meta,
      String reason,
      String detail,
      Throwable error) {
    String dlq = services.deadLetterTopicFor(meta.topic());
    long now = services.clock().getAsLong();
    DeadLetters.Fitted fitted =
        DeadLetters.fit(
            record.key(),
            record.value(),
            DeadLetters.forIngress(
                record.headers(),
                reason,
                detail,
                error == null ? null : error.getClass().getName(),
                meta.topic(),
                meta.partition(),
                meta.offset(),
                record.timestamp(),
                now),
            services.recordSizes().maxDeadLetterBytes());
    LOG.warn(
        "Dead-lettering record {}-{}@{} to {}{}: {} ({})",
        meta.topic(),
        meta.partition(),
        meta.offset(),
        dlq,
        truncation(fitted),
        reason,
        DeadLetters.cap(detail));
    context.forward(
        new Record<byte[], Object>(
            fitted.key(), new TopicRecord(dlq, fitted.value()), now, fitted.headers()),
        TopologyFactory.DEAD_LETTER_SINK);
    services.listener().deadLetteredRecord(meta.topic(), reason);
    requestCommit();
  }

  // ---------------------------------------------------------------------------------------------

  private void perform(List<Action> actions) {
    for (Action action : actions) {
      if (action instanceof Action.Invoke invoke) {
        invoke(invoke);
      } else if (action instanceof Action.SendToPartition send) {
        if (!deliverOnThisThread(send)) {
          context.forward(
              new Record<byte[], Object>(
                  send.envelope().getTarget().getId().getBytes(StandardCharsets.UTF_8),
                  send.envelope().toByteArray(),
                  services.clock().getAsLong(),
                  services.sameThread().loopbackHeaders(send.partition())),
              TopologyFactory.LOOPBACK_SINK);
        }
        requestCommit();
      } else if (action instanceof Action.ApiReply reply) {
        if (services.config().apiEnabled()) {
          context.forward(
              new Record<byte[], Object>(
                  reply.reply().getCallId().getBytes(StandardCharsets.UTF_8),
                  reply,
                  services.clock().getAsLong()),
              TopologyFactory.API_REPLY_SINK);
          requestCommit();
        } else {
          LOG.warn(
              "Dropping the answer to HTTP API request {}: the API is disabled on this instance"
                  + " (kstatefun.api.port); enable it on every instance alike",
              reply.reply().getCallId());
        }
      } else if (action instanceof Action.EmitEgress egress) {
        context.forward(
            new Record<byte[], Object>(
                egress.key(),
                new TopicRecord(egress.topic(), egress.value()),
                services.clock().getAsLong(),
                egressHeaders(egress.headers())),
            TopologyFactory.EGRESS_SINK);
        requestCommit();
      } else if (action instanceof Action.DeadLetter dead) {
        deadLetter(dead);
      } else if (action instanceof Action.DeadLetterStoreRecord corrupt) {
        deadLetterStoreRecord(corrupt.error());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Same-thread delivery (SameThreadDelivery; docs/architecture.md, "Same-thread delivery")

  /** This task's stores, whose record caches a same-thread delivery flushes. */
  private List<KeyValueStore<Bytes, byte[]>> cachedStores = List.of();

  /** Whether every store of this task can flush its record cache (else never a target). */
  private boolean cacheFlushable;

  /**
   * Puts a message for another partition straight into its task's mailbox when that task runs on
   * this stream thread and may take it ({@link SameThreadDelivery#target}). The target's store
   * writes go to its changelog through the thread's one producer, in the current transaction; the
   * records the target decides to write besides (dead letters) are forwarded by this task, in the
   * same transaction. Stream thread only, while this task processes.
   *
   * @return whether it was delivered; if not, the caller sends it through the loopback topic
   */
  private boolean deliverOnThisThread(Action.SendToPartition send) {
    Envelope envelope = send.envelope();
    if (envelope.hasApiRequest()
        || io.kstatefun.runtime.internals.dispatch.ApiAddresses.isReserved(envelope.getTarget())) {
      return false; // HTTP API traffic keeps the loopback topic
    }
    DispatchProcessor target = services.sameThread().target(send.partition());
    if (target == null || target == this) {
      return false;
    }
    List<Action> rest = target.acceptFromSameThread(envelope);
    services
        .listener()
        .messageDeliveredSameThread(
            new io.kstatefun.routing.FunctionType(
                envelope.getTarget().getNamespace(), envelope.getTarget().getType()));
    perform(rest);
    return true;
  }

  /**
   * Whether another task of this thread may deliver to this one now: it is open and has a record
   * context. Kafka Streams leaves a task's record context null from its initialization until it
   * first processes a record or punctuates, and the record cache needs one for every write.
   */
  boolean acceptsSameThread() {
    return !closed && cacheFlushable && context != null && context.recordMetadata().isPresent();
  }

  /**
   * Takes a message from another task of this stream thread (called during that task's processing).
   * Calls are made at once, on this task's behalf; the other actions are returned for the calling
   * task to perform (it is the one whose processor node is current). The record caches of this
   * task's stores are flushed so that the writes reach the changelog in the current transaction:
   * Kafka Streams flushes a task's caches at commit only when the task itself processed something
   * since its last commit.
   */
  List<Action> acceptFromSameThread(Envelope envelope) {
    List<Action> actions = dispatcher.onMessageFromSameThread(envelope);
    List<Action> rest = new java.util.ArrayList<>(0);
    for (Action action : actions) {
      if (action instanceof Action.Invoke invoke) {
        invoke(invoke);
      } else {
        rest.add(action);
      }
    }
    flushStoreCaches();
    return rest;
  }

  private void flushStoreCaches() {
    for (KeyValueStore<Bytes, byte[]> store : cachedStores) {
      if (store instanceof org.apache.kafka.streams.state.internals.CachedStateStore<?, ?> cached) {
        cached.flushCache();
      }
    }
  }

  /** Kafka headers for an egress record: {@code null} (no headers) when there are none. */
  static Headers egressHeaders(List<KafkaProducerRecord.Header> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    RecordHeaders out = new RecordHeaders();
    for (KafkaProducerRecord.Header h : headers) {
      out.add(h.getKey(), h.getHasValue() ? h.getValue().toByteArray() : null);
    }
    return out;
  }

  private void invoke(Action.Invoke invoke) {
    Address target = invoke.target();
    long requestId = invoke.requestId();
    FunctionClient.CallTrace trace = invoke.span() == null ? null : invoke.span().startCall();
    java.util.concurrent.CompletableFuture<FunctionClient.Reply> call =
        trace == null
            ? services.client().call(target, invoke.request())
            : services.client().call(target, invoke.request(), trace);
    calls.put(requestId, call);
    call.whenComplete(
        (reply, error) -> {
          if (trace != null) {
            trace.end(
                reply != null
                    ? reply.attempts()
                    : error instanceof FunctionCallException f ? f.attempts() : 1,
                error);
          }
          if (closed) {
            calls.remove(requestId);
            return;
          }
          if (error == null) {
            completions.add(
                CallOutcome.success(target, requestId, reply.response(), reply.attempts()));
          } else {
            Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            int attempts = cause instanceof FunctionCallException f ? f.attempts() : 1;
            completions.add(
                CallOutcome.failure(target, requestId, cause, failureKind(cause), attempts));
          }
          // After queueing the outcome: the stream thread must not see the task without work.
          calls.remove(requestId);
          ring();
        });
  }

  /** How the dispatcher should treat a failed call. */
  static CallOutcome.FailureKind failureKind(Throwable cause) {
    if (!(cause instanceof FunctionCallException f)) {
      return CallOutcome.FailureKind.TERMINAL;
    }
    return switch (f.kind()) {
      case PAYLOAD_TOO_LARGE -> CallOutcome.FailureKind.PAYLOAD_TOO_LARGE;
      case MALFORMED_RESPONSE, WRONG_CONTENT_TYPE -> CallOutcome.FailureKind.MALFORMED_RESPONSE;
      default ->
          f.retryable()
              ? CallOutcome.FailureKind.RETRIES_EXHAUSTED
              : CallOutcome.FailureKind.TERMINAL;
    };
  }

  private void deadLetter(Action.DeadLetter dead) {
    String dlq = services.deadLetterTopic();
    LOG.warn(
        "Dead-lettering {} message(s) for {} to {}: {} - {}{}",
        dead.envelopes().size(),
        dead.address(),
        dlq,
        dead.reason(),
        DeadLetters.cap(dead.detail()),
        dead.envelopes().isEmpty() || !dead.envelopes().get(0).hasOrigin()
            ? ""
            : " (first from " + origin(dead.envelopes().get(0).getOrigin()) + ")");
    long now = services.clock().getAsLong();
    for (Envelope envelope : dead.envelopes()) {
      // Messages the runtime accepted fit whole (RecordSizes); fit() guards the rest.
      DeadLetters.Fitted fitted =
          DeadLetters.fit(
              envelope.getTarget().getId().getBytes(StandardCharsets.UTF_8),
              envelope.toByteArray(),
              DeadLetters.forEnvelope(
                  dead.reason().name(),
                  dead.detail(),
                  dead.errorClass(),
                  dead.address(),
                  envelope,
                  dead.attempts(),
                  now),
              services.recordSizes().maxDeadLetterBytes());
      if (fitted.headers().lastHeader(DeadLetters.TRUNCATED) != null) {
        LOG.warn("Dead letter for {} written{}", dead.address(), truncation(fitted));
      }
      context.forward(
          new Record<byte[], Object>(
              fitted.key(), new TopicRecord(dlq, fitted.value()), now, fitted.headers()),
          TopologyFactory.DEAD_LETTER_SINK);
    }
    requestCommit();
  }

  /** Writes a store record that cannot be read (already removed) to the dead-letter topic, raw. */
  private void deadLetterStoreRecord(CorruptStoreRecordException error) {
    String dlq = services.deadLetterTopic();
    String store =
        switch (error.kind()) {
          case MAILBOX_HEADER, MAILBOX_ENTRY -> TopologyFactory.MAILBOX_STORE;
          case STATE -> TopologyFactory.STATE_STORE;
          case TIMER, TIMER_TOKEN -> TopologyFactory.TIMER_STORE;
        };
    String task = context.taskId().toString();
    LOG.error(
        "Task {}: {}; removed it from store {} and dead-lettered its {} raw bytes to {} (reason {})",
        task,
        error.getMessage(),
        store,
        error.value().length,
        dlq,
        DeadLetterReason.CORRUPT_STORE_RECORD);
    long now = services.clock().getAsLong();
    Address address = error.address();
    context.forward(
        new Record<byte[], Object>(
            address == null ? null : address.id().getBytes(StandardCharsets.UTF_8),
            new TopicRecord(dlq, error.value()),
            now,
            DeadLetters.forStoreRecord(
                DeadLetterReason.CORRUPT_STORE_RECORD.name(),
                error.getMessage(),
                error.getCause() == null ? null : error.getCause().getClass().getName(),
                address,
                store,
                task,
                now)),
        TopologyFactory.DEAD_LETTER_SINK);
    services.listener().deadLetteredRecord(store, DeadLetterReason.CORRUPT_STORE_RECORD.name());
    requestCommit();
  }

  /** " truncated (value)" when {@code fitted} was cut to fit, else "". */
  private static String truncation(DeadLetters.Fitted fitted) {
    org.apache.kafka.common.header.Header h = fitted.headers().lastHeader(DeadLetters.TRUNCATED);
    return h == null ? "" : " truncated (" + new String(h.value(), StandardCharsets.UTF_8) + ")";
  }

  private static String origin(Origin o) {
    return o.getTopic() + "-" + o.getPartition() + "@" + o.getOffset();
  }

  /**
   * A state read waits for this task's next commit ({@link RuntimeServices#requestCommit}): commit
   * as soon as the commit pacer allows, whether or not output is pending.
   */
  private void takeCommitRequest() {
    if (services.takeCommitRequest(partition) && !commitPending) {
      commitPending = true;
      pendingEpoch = services.commitPacer().epoch(services.commitPacer().thread());
    }
  }

  /** Output was produced: commit as soon as the commit pacer allows. */
  private void requestCommit() {
    if (services.commitOnOutput() && !commitPending) {
      commitPending = true;
      pendingEpoch = services.commitPacer().epoch(services.commitPacer().thread());
    }
  }

  /**
   * Requests the pending commit if the pacer allows it now; otherwise makes sure the doorbell rings
   * when it will, so that a quiet thread does not wait for {@code commit.interval.ms}.
   */
  private void requestPendingCommit() {
    if (!commitPending) {
      return;
    }
    CommitPacer pacer = services.commitPacer();
    CommitPacer.ThreadState thread = pacer.thread();
    if (!pacer.stillPending(thread, pendingEpoch)) {
      commitPending = false; // another task of this thread requested the commit that covers it
      return;
    }
    long wait = pacer.tryRequest(thread, services.clock().getAsLong());
    if (wait <= 0) {
      context.commit();
      commitPending = false;
    } else if (pacer.arrangeWake(thread)) {
      commitWake = services.alarms().schedule(this::ring, wait, TimeUnit.MILLISECONDS);
    }
  }

  /** Applies finished calls. Stream thread only. */
  private void drain() {
    rung.set(false);
    for (int n = held.size(); n > 0; n--) {
      apply(held.poll());
    }
    CallOutcome outcome;
    while ((outcome = completions.poll()) != null) {
      apply(outcome);
    }
    // Slots of the endpoint in-flight limits may have freed up in other tasks.
    perform(dispatcher.onWake());
  }

  /**
   * Hands a finished call to the dispatcher, or holds it while the cluster is asked whether its
   * egress topics exist (never on this thread); the lookup rings the doorbell when it ends.
   */
  private void apply(CallOutcome outcome) {
    if (services.egressTopicsKnown(outcome, this::ring)) {
      perform(dispatcher.onResponse(outcome));
    } else {
      held.add(outcome);
    }
  }

  /** When the last purge of expired HTTP API invocations ran (stream-time ms of the punctuator). */
  private long lastInvocationPurge;

  /** Forgets expired HTTP API invocations, once a minute, a bounded number per pass. */
  private void purgeExpiredInvocations(long now) {
    if (now - lastInvocationPurge >= 60_000) {
      lastInvocationPurge = now;
      int purged = dispatcher.purgeExpiredInvocations(10_000);
      if (purged > 0) {
        LOG.debug("Task {}: forgot {} expired HTTP API invocations", partition, purged);
        requestCommit();
      }
    }
  }

  private void fireTimers() {
    if (dispatcher.nextTimerDue() <= services.clock().getAsLong()) {
      perform(dispatcher.onTimers());
    }
  }

  /** Makes sure the doorbell rings when the earliest timer is due. */
  private void armAlarm() {
    long due = dispatcher.nextTimerDue();
    if (due == Long.MAX_VALUE || due >= alarmAt) {
      return;
    }
    if (alarm != null) {
      alarm.cancel(false);
    }
    alarmAt = due;
    long delay = Math.max(0, due - services.clock().getAsLong());
    alarm =
        services
            .alarms()
            .schedule(
                () -> {
                  alarmAt = Long.MAX_VALUE; // the stream thread re-arms on its next pass
                  ring();
                },
                delay,
                TimeUnit.MILLISECONDS);
  }

  private void ring() {
    if (!closed && rung.compareAndSet(false, true)) {
      services.ring(partition);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (safetyNet != null) {
      safetyNet.cancel();
      safetyNet = null;
    }
    if (alarm != null) {
      alarm.cancel(false);
      alarm = null;
    }
    alarmAt = Long.MAX_VALUE;
    if (commitWake != null && commitWake.cancel(false)) {
      services.commitPacer().wakeCancelled(services.commitPacer().thread());
    }
    services.tasks().unregister(partition, dispatcher);
    services.sameThread().unregister(partition, this);
    // Stop the retries of calls whose answers nobody will apply; the next owner of the task
    // re-sends their batches from the mailbox.
    calls.values().forEach(c -> c.cancel(false));
    calls.clear();
    if (dispatcher != null) {
      dispatcher.close();
    }
    completions.clear();
    held.clear();
  }
}
