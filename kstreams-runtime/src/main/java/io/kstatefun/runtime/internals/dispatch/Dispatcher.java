package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.Origin;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The per-task dispatch state machine: it decides what happens to every message, answer and timer
 * of the addresses of one partition.
 *
 * <p>Events in: {@link #onMessage} (from an ingress, the loopback topic, or a local sender), {@link
 * #onResponse} (a remote call ended), {@link #onTimers} (wall-clock time passed), {@link
 * #onRecover} (the task was (re)started), {@link #onWake} (endpoint slots may have freed up). Each
 * returns the {@link Action}s the shell must carry out. Mailbox, state and timer writes go straight
 * to {@link DispatchStores}, which commit in the same Kafka transaction as the actions' records.
 *
 * <p>Semantics (StateFun's): one request in flight per address; messages that arrive meanwhile
 * queue in the durable mailbox and go out as the next batch, in arrival order; every request
 * carries every state registered for the function type; a response is applied atomically (state
 * mutations, messages, delayed messages, egress) together with the removal of its batch from the
 * mailbox. The batch in flight is always a prefix of the mailbox, so after a crash {@link
 * #onRecover} sends it again: invocation is at-least-once, effects exactly-once.
 *
 * <p>This class handles the events; each job is done by one of its parts, which it creates and
 * which say more about their rules:
 *
 * <ul>
 *   <li>{@link Admission}: when a batch may go out (one request per address, in-flight slots per
 *       task and endpoint, bounded waiting queues, paging through the mailboxes on disk);
 *   <li>{@link Mailbox}: the durable mailboxes (append, read and remove batches); {@link Batches}:
 *       how a batch ends (completed, or dead-lettered);
 *   <li>{@link RequestBuilder}: a batch's request, with its states; {@link StateNegotiation}: a
 *       function that asks for missing states;
 *   <li>{@link ResponseValidator}, {@link EgressRecords} and {@link OutputSizes}: an answer is
 *       checked whole before any of it is applied;
 *   <li>{@link StateWriter}: state mutations and TTL (exactly one expiry check per address);
 *   <li>{@link DelayedMessages}: the timer store, delayed messages and their cancellation tokens;
 *   <li>{@link UnreadableRecords}: a store record that cannot be read is dead-lettered and removed,
 *       it does not fail the task;
 *   <li>{@link Envelopes}: the one place where the protocol's addresses are converted to and from
 *       the {@link Address} used everywhere inside.
 * </ul>
 *
 * <p>Threading: owned by the task's stream thread, and so are its parts; not thread-safe, except
 * {@link #inFlightCount()}, {@link #pendingTimers()} and {@link #waitingAddresses()}, which any
 * thread may read (approximate).
 */
public final class Dispatcher {

  /** The typename of a Kafka egress payload (StateFun's). */
  public static final String KAFKA_PRODUCER_RECORD_TYPENAME =
      "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";

  /** What the module declares: which function types and egresses exist. */
  public interface Directory {
    boolean hasFunction(FunctionType type);

    /** Whether a Kafka egress with id {@code namespace/name} is declared. */
    boolean hasEgress(String egressId);

    /** Whether the Kafka topic an egress record names exists (may ask the cluster). */
    default boolean egressTopicExists(String topic) {
      return true;
    }

    /** Most messages per request for {@code type} (its endpoint's {@code maxNumBatchRequests}). */
    default int maxBatchSize(FunctionType type) {
      return Integer.MAX_VALUE;
    }
  }

  /**
   * Limits of the dispatcher.
   *
   * @param maxBatchSize most messages in one request
   * @param maxNegotiationRounds how often one batch may answer with missing states
   * @param maxPendingTimers most pending delayed messages per task
   * @param maxTimersPerRound most timers fired by one {@link #onTimers} call
   * @param maxInFlight most requests in flight for this task (across addresses)
   * @param maxWaiting most addresses remembered in memory as waiting for a slot
   * @param maxMailboxSize most queued messages per address; beyond, messages are dead-lettered with
   *     {@link DeadLetterReason#MAILBOX_FULL}
   * @param maxRecordBytes most bytes of key and value of one record the dispatcher makes the
   *     runtime write: a mailbox entry or loopback record (a message), a state record, a timer, an
   *     egress record. Larger messages are dead-lettered ({@link
   *     DeadLetterReason#RECORD_TOO_LARGE}); a response that would write a larger record is
   *     rejected whole ({@link DeadLetterReason#OUTPUT_TOO_LARGE}). The runtime derives it from the
   *     producer's {@code max.request.size}.
   */
  public record Limits(
      int maxBatchSize,
      int maxNegotiationRounds,
      long maxPendingTimers,
      int maxTimersPerRound,
      int maxInFlight,
      int maxWaiting,
      long maxMailboxSize,
      long maxRecordBytes) {

    public Limits {
      if (maxBatchSize < 1
          || maxInFlight < 1
          || maxWaiting < 1
          || maxMailboxSize < 1
          || maxRecordBytes < 1) {
        throw new IllegalArgumentException(
            "limits must be positive: "
                + maxBatchSize
                + ", "
                + maxInFlight
                + ", "
                + maxWaiting
                + ", "
                + maxMailboxSize
                + ", "
                + maxRecordBytes);
      }
    }

    /** Limits without a record size bound. */
    public Limits(
        int maxBatchSize,
        int maxNegotiationRounds,
        long maxPendingTimers,
        int maxTimersPerRound,
        int maxInFlight,
        int maxWaiting,
        long maxMailboxSize) {
      this(
          maxBatchSize,
          maxNegotiationRounds,
          maxPendingTimers,
          maxTimersPerRound,
          maxInFlight,
          maxWaiting,
          maxMailboxSize,
          Long.MAX_VALUE);
    }

    /** Limits without in-flight, waiting and mailbox bounds. */
    public Limits(
        int maxBatchSize, int maxNegotiationRounds, long maxPendingTimers, int maxTimersPerRound) {
      this(
          maxBatchSize,
          maxNegotiationRounds,
          maxPendingTimers,
          maxTimersPerRound,
          Integer.MAX_VALUE,
          100_000,
          Long.MAX_VALUE);
    }

    public static Limits defaults() {
      return new Limits(1000, 3, 1_000_000L, 10_000, 1024, 100_000, Long.MAX_VALUE, Long.MAX_VALUE);
    }
  }

  /** Receives what the dispatcher observes, for metrics. All methods default to no-ops. */
  public interface Listener {
    default void batchSent(FunctionType type, int size, boolean retry) {}

    /** Messages waiting in an address's mailbox (in flight included) when a batch goes out. */
    default void backlog(FunctionType type, long pending) {}

    default void messageRouted(FunctionType target, boolean local) {}

    /**
     * A message for another partition (counted as routed, not local) went straight into the target
     * task's mailbox on the sender's stream thread instead of through the loopback topic.
     */
    default void messageDeliveredSameThread(FunctionType target) {}

    default void egressEmitted(String egressId) {}

    default void deadLettered(FunctionType type, DeadLetterReason reason, int count) {}

    default void timerFired(long lateMs) {}
  }

  /**
   * Request ids are unique across all dispatchers of the JVM, so an answer to a request made by an
   * earlier incarnation of a task can never be mistaken for an answer to a current one.
   */
  private static final AtomicLong REQUEST_IDS = new AtomicLong();

  private final int partition;
  private final int numPartitions;
  private final Directory directory;
  private final LongSupplier clock;
  private final Limits limits;
  private final Listener listener;
  private final Mailbox mailbox;
  private final Admission admission;
  private final Batches batches;
  private final RequestBuilder requests;
  private final StateNegotiation negotiation;
  private final ResponseValidator validator;
  private final StateWriter stateWriter;
  private final DelayedMessages delayedMessages;
  private final ApiCalls api;
  private final Tracing tracing;
  private volatile int inFlightSnapshot;
  private volatile long pendingTimersSnapshot;
  private volatile int waitingSnapshot;

  /**
   * The optional parts of a dispatcher, beyond its stores, directory, clock, limits and listener.
   *
   * @param limiter the per-endpoint in-flight limits ({@link InFlightLimiter#UNLIMITED}: none)
   * @param invocations the task's store of HTTP API invocations
   * @param apiRetentionMs how long an API invocation is remembered after it was accepted or
   *     answered
   * @param apiMaxBacklog most queued messages of an address for the API to add one (else 429)
   * @param inheritHeaders whether outputs sent without headers inherit the batch's common headers
   *     ({@link OutgoingHeaders})
   * @param tracing the tracing hooks ({@link Tracing#OFF}: none)
   */
  public record Options(
      InFlightLimiter limiter,
      ApiInvocationStore invocations,
      long apiRetentionMs,
      long apiMaxBacklog,
      boolean inheritHeaders,
      Tracing tracing) {

    /**
     * No endpoint limits, an in-memory invocation store with the default retention and backlog, no
     * header inheritance, no tracing.
     */
    public static Options defaults() {
      ApiCalls.Settings api = ApiCalls.Settings.defaults();
      return new Options(
          InFlightLimiter.UNLIMITED,
          ApiInvocationStore.inMemory(),
          api.retentionMs(),
          api.maxBacklog(),
          false,
          Tracing.OFF);
    }

    public Options withLimiter(InFlightLimiter newLimiter) {
      return new Options(
          newLimiter, invocations, apiRetentionMs, apiMaxBacklog, inheritHeaders, tracing);
    }

    public Options withApi(ApiInvocationStore store, long retentionMs, long maxBacklog) {
      return new Options(limiter, store, retentionMs, maxBacklog, inheritHeaders, tracing);
    }

    public Options withHeaders(boolean inherit, Tracing newTracing) {
      return new Options(limiter, invocations, apiRetentionMs, apiMaxBacklog, inherit, newTracing);
    }
  }

  /** A dispatcher with the {@link Options#defaults() default options}. */
  public Dispatcher(
      int partition,
      int numPartitions,
      DispatchStores stores,
      Directory directory,
      StateSpecRegistry specs,
      LongSupplier clock,
      Limits limits,
      Listener listener) {
    this(
        partition,
        numPartitions,
        stores,
        directory,
        specs,
        clock,
        limits,
        listener,
        Options.defaults());
  }

  public Dispatcher(
      int partition,
      int numPartitions,
      DispatchStores stores,
      Directory directory,
      StateSpecRegistry specs,
      LongSupplier clock,
      Limits limits,
      Listener listener,
      Options options) {
    Tracing tracing = options.tracing();
    this.tracing = tracing;
    this.partition = partition;
    this.numPartitions = numPartitions;
    this.directory = directory;
    this.clock = clock;
    this.limits = limits;
    this.listener = listener;
    UnreadableRecords unreadable = new UnreadableRecords(stores);
    this.mailbox = new Mailbox(stores, unreadable, limits.maxMailboxSize(), listener);
    this.admission = new Admission(partition, limits, options.limiter(), mailbox, this::send);
    this.batches = new Batches(mailbox, admission, unreadable, listener);
    this.requests =
        new RequestBuilder(stores, specs, clock, options.inheritHeaders(), tracing.enabled());
    this.negotiation = new StateNegotiation(specs, limits.maxNegotiationRounds());
    this.validator =
        new ResponseValidator(specs, directory, new OutputSizes(stores, limits.maxRecordBytes()));
    this.stateWriter = new StateWriter(stores, specs, unreadable);
    this.delayedMessages = new DelayedMessages(stores, unreadable, limits, listener);
    this.api =
        new ApiCalls(
            options.invocations(),
            new ApiCalls.Settings(options.apiRetentionMs(), options.apiMaxBacklog()),
            clock,
            a -> {
              MailboxHeader h = stores.header(a);
              return h == null ? 0 : h.getNextSeq() - h.getHeadSeq();
            },
            delayedMessages);
  }

  /** The partition whose addresses this dispatcher owns. */
  public int partition() {
    return partition;
  }

  /** The partition that owns {@code address}: a function of its id only. */
  public int partitionOf(Address address) {
    return AddressPartitioner.partition(address.id(), numPartitions);
  }

  /** Number of addresses with a request in flight, as of the end of the last event. Any thread. */
  public int inFlightCount() {
    return inFlightSnapshot;
  }

  /**
   * Number of pending timers (delayed messages and state expiry checks) of this task, as of the end
   * of the last event. Any thread may call it (for metrics).
   */
  public long pendingTimers() {
    return pendingTimersSnapshot;
  }

  /**
   * What {@code address} has in flight now, or null. Any thread may call it (the HTTP API's debug
   * view): it reads a concurrent map that only the stream thread writes.
   */
  public InFlightView inFlight(Address address) {
    InFlightBatch b = admission.flight(address);
    return b == null
        ? null
        : new InFlightView(b.requestId(), b.head(), b.end(), b.sentAtMs(), b.negotiations());
  }

  /** The most requests in flight for this task. */
  public int maxInFlight() {
    return limits.maxInFlight();
  }

  /**
   * The batch an address has in flight, as seen from another thread.
   *
   * @param requestId the id of the request
   * @param head the first mailbox sequence number of the batch
   * @param end one past its last
   * @param sentAtMs when the request was (last) sent
   * @param negotiations how often it was sent again after a state negotiation
   */
  public record InFlightView(
      long requestId, long head, long end, long sentAtMs, int negotiations) {}

  /**
   * Number of addresses with queued messages that wait for an in-flight slot, as of the end of the
   * last event (only those remembered in memory). Any thread may call it (for metrics).
   */
  public int waitingAddresses() {
    return waitingSnapshot;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /** A message arrived for an address (from an ingress, the loopback topic, or locally). */
  public List<Action> onMessage(Envelope envelope) {
    List<Action> out = new ArrayList<>(2);
    deliver(envelope, out);
    return finish(out);
  }

  /**
   * A message that another task of the same stream thread routed to this partition and delivers
   * straight into this task's mailbox, in the same transaction (see {@code SameThreadDelivery} in
   * the topology package). Like {@link #onMessage}, but the sender already counted the route.
   */
  public List<Action> onMessageFromSameThread(Envelope envelope) {
    List<Action> out = new ArrayList<>(2);
    countRoutes = false;
    try {
      deliver(envelope, out);
    } finally {
      countRoutes = true;
    }
    return finish(out);
  }

  /** False while a same-thread delivery runs: its sender counted the route already. */
  private boolean countRoutes = true;

  /** A remote call ended. Answers to requests that are no longer in flight are ignored. */
  public List<Action> onResponse(CallOutcome outcome) {
    Address target = outcome.target();
    InFlightBatch flight = admission.flight(target);
    if (flight == null || flight.requestId() != outcome.requestId()) {
      return List.of();
    }
    List<Action> out = new ArrayList<>(4);
    if (!outcome.succeeded()) {
      onFailure(target, flight, outcome, out);
      if (flight.span() != null) {
        endSpan(flight, "call failed: " + outcome.failureKind() + " " + outcome.failure());
      }
      return finish(out);
    }
    FromFunction response = outcome.response();
    String error;
    switch (response.getResponseCase()) {
      case INCOMPLETE_INVOCATION_CONTEXT -> {
        error = negotiate(target, flight, response, outcome.attempts(), out);
        if (error == null && flight.span() != null) {
          flight.span().endResent("the function asked for missing states");
          return finish(out);
        }
      }
      case INVOCATION_RESULT ->
          error = apply(target, flight, response.getInvocationResult(), outcome.attempts(), out);
      default ->
          error =
              apply(
                  target, flight, InvocationResponse.getDefaultInstance(), outcome.attempts(), out);
    }
    endSpan(flight, error);
    return finish(out);
  }

  private void onFailure(
      Address target, InFlightBatch flight, CallOutcome outcome, List<Action> out) {
    CallOutcome.FailureKind kind =
        outcome.failureKind() == null ? CallOutcome.FailureKind.TERMINAL : outcome.failureKind();
    int size = flight.size();
    DeadLetterReason reason;
    switch (kind) {
      case PAYLOAD_TOO_LARGE -> {
        if (size > 1) {
          // Split: send the first half again; the rest follows in later batches. The slot is kept.
          admission.forgetKeepingSlot(target);
          dispatch(target, mailbox.header(target, out), 0, true, Math.max(1, size / 2), out);
          return;
        }
        reason = DeadLetterReason.PAYLOAD_TOO_LARGE;
      }
      case MALFORMED_RESPONSE -> reason = DeadLetterReason.MALFORMED_RESPONSE;
      default -> reason = DeadLetterReason.FUNCTION_CALL_FAILED;
    }
    batches.failCall(target, flight, reason, outcome, out);
  }

  private static void endSpan(InFlightBatch flight, String error) {
    if (flight.span() != null) {
      flight.span().end(error);
    }
  }

  /** Wall-clock time passed: fire due delayed messages and expiry checks. */
  public List<Action> onTimers() {
    long now = clock.getAsLong();
    List<Action> out = new ArrayList<>();
    for (PendingTimer timer : delayedMessages.due(now, out)) {
      delayedMessages.delete(timer);
      if (timer.hasExpiryCheck()) {
        stateWriter.expire(timer, now, out);
      } else {
        Envelope fired = delayedMessages.fire(timer, now);
        deliver(tracing.enabled() ? fired.toBuilder().setFromTimer(true).build() : fired, out);
      }
    }
    return finish(out);
  }

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE}. */
  public long nextTimerDue() {
    return delayedMessages.earliestDue();
  }

  /**
   * The task (re)started: send every non-empty mailbox's head batch (again), as far as the
   * in-flight limits allow; the rest follows as slots free up.
   */
  public List<Action> onRecover() {
    admission.recover();
    return finish(new ArrayList<>());
  }

  /** In-flight slots may have freed up (another task finished a call): send waiting batches. */
  public List<Action> onWake() {
    return finish(new ArrayList<>(0));
  }

  /**
   * The task is closing: gives back its in-flight slots and forgets what is in memory. Answers that
   * arrive later are ignored; the task's next owner re-sends in-flight batches from the mailbox.
   */
  public void close() {
    admission.releaseAll();
    publish();
  }

  // ---------------------------------------------------------------------------------------------
  // Delivering and sending

  /**
   * Validates and routes a message: to the loopback topic when another partition owns its target,
   * otherwise into its target's mailbox, sending a batch when the address may.
   */
  private void deliver(Envelope envelope, List<Action> out) {
    String problem = Envelopes.invalidAddress(envelope.getTarget());
    if (problem != null) {
      // Responses are validated before they are applied and the shell validates loopback records,
      // so this is defensive: never let one bad message stop the task.
      Address blame = Envelopes.validCallerOrNull(envelope);
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.INVALID_ADDRESS, problem, blame, List.of(envelope), 0));
      return;
    }
    if (envelope.hasApiRequest() || ApiAddresses.isReserved(envelope.getTarget())) {
      // From the HTTP API, or a reply to a call: handled by the task that owns the id.
      int owner = AddressPartitioner.partition(envelope.getTarget().getId(), numPartitions);
      if (owner != partition) {
        out.add(new Action.SendToPartition(envelope, owner));
        return;
      }
      envelope = api.onEnvelope(envelope, out);
      if (envelope == null) {
        return;
      }
    }
    Address target = Envelopes.target(envelope);
    if (!directory.hasFunction(target.type())) {
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.UNKNOWN_FUNCTION_TYPE,
              "no endpoint serves function type " + target.type(),
              target,
              List.of(envelope),
              0));
      listener.deadLettered(target.type(), DeadLetterReason.UNKNOWN_FUNCTION_TYPE, 1);
      return;
    }
    long size = OutputSizes.messageRecordBytes(envelope);
    if (size > limits.maxRecordBytes()) {
      // Messages from ingresses and responses are checked before they get here; this guards
      // loopback records written by other means (a re-injection, a larger max.request.size).
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.RECORD_TOO_LARGE,
              "the message for "
                  + target
                  + " would be a record of "
                  + size
                  + " bytes, more than the "
                  + limits.maxRecordBytes()
                  + " bytes the runtime writes (derived from the producer's max.request.size)",
              target,
              List.of(envelope),
              0));
      listener.deadLettered(target.type(), DeadLetterReason.RECORD_TOO_LARGE, 1);
      return;
    }
    int owner = partitionOf(target);
    if (owner != partition) {
      listener.messageRouted(target.type(), false);
      out.add(new Action.SendToPartition(envelope, owner));
      return;
    }
    if (countRoutes) {
      listener.messageRouted(target.type(), true);
    }
    MailboxHeader updated = mailbox.append(target, envelope, out);
    if (updated != null && !admission.isInFlight(target)) {
      admission.ready(target, updated, false, out);
    }
  }

  /** The {@link Admission.Sender}: sends {@code target}'s next batch, with the slot just taken. */
  private void send(Address target, MailboxHeader header, boolean retry, List<Action> out) {
    dispatch(target, header, 0, retry, Integer.MAX_VALUE, out);
  }

  /**
   * Sends the batch at the head of {@code target}'s mailbox. The caller holds a slot for it.
   *
   * @param batchLimit most messages in this batch, on top of the configured limits
   */
  private void dispatch(
      Address target,
      MailboxHeader header,
      int negotiations,
      boolean retry,
      int batchLimit,
      List<Action> out) {
    long head = header.getHeadSeq();
    int maxSize =
        Math.min(
            Math.min(limits.maxBatchSize(), directory.maxBatchSize(target.type())), batchLimit);
    long end = Math.min(header.getNextSeq(), head + Math.max(1, maxSize));
    RequestBuilder.Request request;
    try {
      request = requests.build(target, head, end);
    } catch (CorruptStoreRecordException e) {
      batches.failUnreadable(target, head, end, e, out);
      return;
    }
    long requestId = REQUEST_IDS.incrementAndGet();
    Tracing.BatchSpan span =
        request.messages() == null ? null : tracing.startBatch(target, request.messages());
    admission.started(
        target,
        new InFlightBatch(
            requestId,
            head,
            end,
            negotiations,
            request.sentStates(),
            batchLimit,
            request.origin(),
            clock.getAsLong(),
            request.commonHeaders(),
            span));
    listener.batchSent(target.type(), (int) (end - head), retry);
    listener.backlog(target.type(), header.getNextSeq() - head);
    out.add(new Action.Invoke(target, requestId, request.toFunction(), (int) (end - head), span));
  }

  /**
   * The function asked for states it misses: send the batch again with them, or fail it.
   *
   * @return why the batch failed, or {@code null} when it is sent again
   */
  private String negotiate(
      Address target, InFlightBatch flight, FromFunction response, int attempts, List<Action> out) {
    String failure =
        negotiation.negotiate(
            target.type(),
            flight,
            response.getIncompleteInvocationContext().getMissingValuesList());
    if (failure != null) {
      batches.fail(
          target, flight, DeadLetterReason.STATE_NEGOTIATION_FAILED, failure, attempts, null, out);
      return failure;
    }
    admission.forgetKeepingSlot(target); // the slot is kept for the resend
    dispatch(
        target,
        mailbox.header(target, out),
        flight.negotiations() + 1,
        true,
        flight.batchLimit(),
        out);
    return null;
  }

  /** Ends an event: sends waiting batches as slots allow, then publishes gauges. */
  private List<Action> finish(List<Action> out) {
    admission.pump(out);
    answerDeadLetteredCalls(out);
    publish();
    return out;
  }

  /** A dead-lettered call of the HTTP API is answered (502 with the reason), never left waiting. */
  private void answerDeadLetteredCalls(List<Action> out) {
    List<Action> answers = null;
    for (Action action : out) {
      if (action instanceof Action.DeadLetter dead) {
        if (answers == null) {
          answers = new ArrayList<>(1);
        }
        api.onDeadLetter(dead, answers);
      }
    }
    if (answers != null) {
      out.addAll(answers);
    }
  }

  /**
   * Forgets HTTP API invocations whose retention has passed, at most {@code max} per call; returns
   * how many.
   */
  public int purgeExpiredInvocations(int max) {
    return api.purgeExpired(max);
  }

  private void publish() {
    inFlightSnapshot = admission.inFlightCount();
    pendingTimersSnapshot = delayedMessages.count();
    waitingSnapshot = admission.waitingCount();
  }

  // ---------------------------------------------------------------------------------------------
  // Applying an answer

  /**
   * The function answered: validate the answer, then apply it whole, then go on.
   *
   * @return why the answer was rejected, or {@code null} when it was applied
   */
  private String apply(
      Address target,
      InFlightBatch flight,
      InvocationResponse response,
      int attempts,
      List<Action> out) {
    // 1. Validate everything first: a response is applied whole or not at all.
    ResponseValidator.Verdict verdict = validator.validate(target, response, flight.origin());
    if (!verdict.valid()) {
      batches.fail(target, flight, verdict.reason(), verdict.detail(), attempts, null, out);
      return verdict.reason() + ": " + verdict.detail();
    }

    // 2. State.
    long now = clock.getAsLong();
    stateWriter.apply(target, response.getStateMutationsList(), now, out);

    // 3. The batch is done: remove it from the mailbox.
    batches.complete(target, flight, out);

    // 4. Messages, delayed messages and egress records. They carry the batch's origin, so that a
    //    dead letter further down names the ingress record behind it.
    sendMessages(target, verdict.messages(), response, now, flight, out);
    for (Action.EmitEgress record : verdict.egress()) {
      listener.egressEmitted(record.egressId());
      out.add(OutgoingHeaders.egress(record, flight.commonHeaders(), flight.span()));
    }

    // 5. Next batch, unless a local message to self already sent it or queued the address.
    if (!admission.isInFlight(target)) {
      MailboxHeader current = mailbox.header(target, out);
      if (Mailbox.hasMessages(current)) {
        admission.ready(target, current, false, out);
      }
    }
    return null;
  }

  /**
   * Delivers the messages of {@code sender}'s response and schedules (or cancels) its delayed
   * messages. All their envelopes are built by {@link Envelopes#outgoing}: the messages' during
   * validation, the delayed messages' here.
   *
   * @param messages the envelopes of the response's messages
   * @param flight the batch answered: its origin, which they carry, its common headers, which they
   *     may inherit, and its span
   */
  private void sendMessages(
      Address sender,
      List<Envelope> messages,
      InvocationResponse response,
      long now,
      InFlightBatch flight,
      List<Action> out) {
    Origin origin = flight.origin();
    for (Envelope message : messages) {
      TypedValue argument =
          OutgoingHeaders.message(
              message.getArgument(),
              flight.commonHeaders(),
              flight.span(),
              "send",
              message.getTarget().getNamespace() + "/" + message.getTarget().getType());
      deliver(
          argument == message.getArgument()
              ? message
              : message.toBuilder().setArgument(argument).build(),
          out);
    }
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      String token = delayed.getCancellationToken();
      if (delayed.getIsCancellationRequest()) {
        delayedMessages.cancel(sender, token, out); // unknown or already fired tokens are a no-op
      } else {
        TypedValue argument =
            OutgoingHeaders.message(
                delayed.getArgument(),
                flight.commonHeaders(),
                flight.span(),
                "schedule",
                delayed.getTarget().getNamespace() + "/" + delayed.getTarget().getType());
        Envelope envelope = Envelopes.outgoing(sender, delayed.getTarget(), argument, origin);
        delayedMessages.schedule(sender, envelope, token, now + delayed.getDelayInMs(), out);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // For the shell

  /**
   * Why {@code address} is not a valid function address (namespace and type non-empty and free of
   * {@code /}), or {@code null} when it is valid. The shell checks loopback records with it.
   */
  public static String invalidAddress(io.kstatefun.protocol.Address address) {
    return Envelopes.invalidAddress(address);
  }

  /**
   * An upper bound of the key and value bytes of the largest record a message becomes: its mailbox
   * entry (address and sequence number -> envelope). Its loopback record (id -> envelope) is
   * smaller. The shell checks ingress messages with it.
   */
  public static long messageRecordBytes(Envelope envelope) {
    return OutputSizes.messageRecordBytes(envelope);
  }
}
