package io.kstatefun.runtime.dispatch;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The per-task dispatch state machine: it decides what happens to every message, answer and timer
 * of the addresses of one partition.
 *
 * <p>Events in: {@link #onMessage} (from an ingress, the loopback topic, or a local sender), {@link
 * #onResponse} (a remote call ended), {@link #onTimers} (wall-clock time passed), {@link
 * #onRecover} (the task was (re)started). Each returns the {@link Action}s the shell must carry
 * out. Mailbox, state and timer writes go straight to {@link DispatchStores}, which commit in the
 * same Kafka transaction as the actions' records.
 *
 * <p>Semantics (StateFun's): one request in flight per address; messages that arrive meanwhile
 * queue in the durable mailbox and go out as the next batch, in arrival order; every request
 * carries every state registered for the function type; a response is applied atomically (state
 * mutations, messages, delayed messages, egress) together with the removal of its batch from the
 * mailbox. The batch in flight is always a prefix of the mailbox, so after a crash {@link
 * #onRecover} sends it again: invocation is at-least-once, effects exactly-once.
 *
 * <p>Limits: a request carries at most {@code min(maxBatchSize, endpoint maxNumBatchRequests)}
 * messages. A batch goes out only when a slot is free, both in this task ({@link
 * Limits#maxInFlight()}) and at the function's endpoint ({@link InFlightLimiter}, the endpoint's
 * {@code maxInFlight}); otherwise the address waits in a FIFO queue per function type and its
 * messages stay in the durable mailbox. The queue holds addresses, never messages, and at most
 * {@link Limits#maxWaiting()} of them; beyond that, addresses are found again by paging through
 * the mailboxes on disk. So memory is bounded by the limits, not by the backlog.
 *
 * <p>Delayed messages (StateFun's {@code sendAfter}) are durable timers of the <em>sender's</em>
 * task, ordered by due time then scheduling order. On firing, the message is delivered with the
 * sender as its caller, in the same transaction as everything the firing causes.
 *
 * <p>Cancellation tokens are scoped to the sender address: {@code (sender, token)} names at most
 * one pending delayed message. A cancellation removes it; cancelling an unknown, already fired or
 * already cancelled token is a no-op. A token may be reused once its message has fired or been
 * cancelled. Scheduling a message with a token that is still pending for the same sender does not
 * replace the pending one (StateFun failed the whole job in that case): the pending message is
 * kept and the new one is dead-lettered with reason {@link
 * DeadLetterReason#INVALID_DELAYED_MESSAGE}, naming the token. Delayed messages beyond {@link
 * Limits#maxPendingTimers()} per task are dead-lettered the same way.
 *
 * <p>State TTL (per {@code PersistedValueSpec}): an expired value is never sent to the function,
 * and exactly one expiry-check timer per address with TTL'd values deletes expired values from the
 * store; rewriting a value never adds a second one (see {@code writeState}).
 *
 * <p>A store record that cannot be read ({@link CorruptStoreRecordException}) does not fail the
 * task: it is dead-lettered as raw bytes and removed (reason {@link
 * DeadLetterReason#CORRUPT_STORE_RECORD}). A mailbox header is rebuilt from the entries; a batch
 * that needed an unreadable entry or state is dead-lettered and the address goes on with its next
 * batch (with empty state, if the state was unreadable); an unreadable timer is dropped.
 *
 * <p>Threading: owned by the task's stream thread; not thread-safe, except {@link
 * #pendingTimers()} and {@link #waitingAddresses()}, which any thread may read (approximate).
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
   * @param maxMailboxSize most queued messages per address; beyond, messages are dead-lettered
   *     with {@link DeadLetterReason#MAILBOX_FULL}
   */
  public record Limits(
      int maxBatchSize,
      int maxNegotiationRounds,
      long maxPendingTimers,
      int maxTimersPerRound,
      int maxInFlight,
      int maxWaiting,
      long maxMailboxSize) {

    public Limits {
      if (maxBatchSize < 1 || maxInFlight < 1 || maxWaiting < 1 || maxMailboxSize < 1) {
        throw new IllegalArgumentException("limits must be positive: " + maxBatchSize + ", "
            + maxInFlight + ", " + maxWaiting + ", " + maxMailboxSize);
      }
    }

    /** Limits without in-flight, waiting and mailbox bounds. */
    public Limits(int maxBatchSize, int maxNegotiationRounds, long maxPendingTimers, int maxTimersPerRound) {
      this(maxBatchSize, maxNegotiationRounds, maxPendingTimers, maxTimersPerRound,
          Integer.MAX_VALUE, 100_000, Long.MAX_VALUE);
    }

    public static Limits defaults() {
      return new Limits(1000, 3, 1_000_000L, 10_000, 1024, 100_000, Long.MAX_VALUE);
    }
  }

  /** Receives what the dispatcher observes, for metrics. All methods default to no-ops. */
  public interface Listener {
    default void batchSent(FunctionType type, int size, boolean retry) {}

    /** Messages waiting in an address's mailbox (in flight included) when a batch goes out. */
    default void backlog(FunctionType type, long pending) {}

    default void messageRouted(FunctionType target, boolean local) {}

    default void egressEmitted(String egressId) {}

    default void deadLettered(FunctionType type, DeadLetterReason reason, int count) {}

    default void timerFired(long lateMs) {}
  }

  private final int partition;
  private final int numPartitions;
  private final DispatchStores stores;
  private final Directory directory;
  private final StateSpecRegistry specs;
  private final LongSupplier clock;
  private final Limits limits;
  private final Listener listener;
  private final UnreadableRecords unreadable;
  private final Mailbox mailbox;
  private final Admission admission;
  private final StateWriter stateWriter;
  private final DelayedMessages delayedMessages;
  private final RequestBuilder requests;
  private final StateNegotiation negotiation;
  private final ResponseValidator validator;
  private volatile long pendingTimersSnapshot;
  private volatile int waitingSnapshot;
  /**
   * Request ids are unique across all dispatchers of the JVM, so an answer to a request made by an
   * earlier incarnation of a task can never be mistaken for an answer to a current one.
   */
  private static final java.util.concurrent.atomic.AtomicLong REQUEST_IDS =
      new java.util.concurrent.atomic.AtomicLong();

  public Dispatcher(
      int partition,
      int numPartitions,
      DispatchStores stores,
      Directory directory,
      StateSpecRegistry specs,
      LongSupplier clock,
      Limits limits,
      Listener listener) {
    this(partition, numPartitions, stores, directory, specs, clock, limits, listener, InFlightLimiter.UNLIMITED);
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
      InFlightLimiter limiter) {
    this.partition = partition;
    this.numPartitions = numPartitions;
    this.stores = stores;
    this.directory = directory;
    this.specs = specs;
    this.clock = clock;
    this.limits = limits;
    this.listener = listener;
    this.unreadable = new UnreadableRecords(stores);
    this.mailbox = new Mailbox(stores, unreadable, limits.maxMailboxSize(), listener);
    this.admission = new Admission(partition, limits, limiter, mailbox, this::send);
    this.stateWriter = new StateWriter(stores, specs, unreadable);
    this.delayedMessages = new DelayedMessages(stores, unreadable, limits, listener);
    this.requests = new RequestBuilder(stores, specs, clock);
    this.negotiation = new StateNegotiation(specs, limits.maxNegotiationRounds());
    this.validator = new ResponseValidator(specs, directory);
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

  private volatile int inFlightSnapshot;

  /**
   * Number of pending timers (delayed messages and state expiry checks) of this task, as of the
   * end of the last event. Any thread may call it (for metrics).
   */
  public long pendingTimers() {
    return pendingTimersSnapshot;
  }

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
   * The task (re)started: send every non-empty mailbox's head batch (again), as far as the
   * in-flight limits allow; the rest follows as slots free up.
   */
  public List<Action> onRecover() {
    admission.recover();
    List<Action> out = new ArrayList<>();
    return finish(out);
  }

  /** In-flight slots may have freed up (another task finished a call): send waiting batches. */
  public List<Action> onWake() {
    return finish(new ArrayList<>(0));
  }

  /**
   * The task is closing: gives back its in-flight slots and forgets what is in memory. Answers
   * that arrive later are ignored; the task's next owner re-sends in-flight batches from the
   * mailbox.
   */
  public void close() {
    admission.releaseAll();
    publish();
  }

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
      return finish(out);
    }
    FromFunction response = outcome.response();
    switch (response.getResponseCase()) {
      case INCOMPLETE_INVOCATION_CONTEXT -> negotiate(target, flight, response, outcome.attempts(), out);
      case INVOCATION_RESULT -> apply(target, flight, response.getInvocationResult(), outcome.attempts(), out);
      default -> apply(target, flight, InvocationResponse.getDefaultInstance(), outcome.attempts(), out);
    }
    return finish(out);
  }

  private void onFailure(Address target, InFlightBatch flight, CallOutcome outcome, List<Action> out) {
    CallOutcome.FailureKind kind =
        outcome.failureKind() == null ? CallOutcome.FailureKind.TERMINAL : outcome.failureKind();
    int size = flight.size();
    String errorClass = outcome.failure().getClass().getName();
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
    failBatch(target, flight, reason, describe(outcome.failure()), outcome.attempts(), errorClass, out);
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
        deliver(delayedMessages.fire(timer, now), out);
      }
    }
    return finish(out);
  }

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE}. */
  public long nextTimerDue() {
    return delayedMessages.earliestDue();
  }

  // ---------------------------------------------------------------------------------------------
  // Delivery and dispatch

  private void deliver(Envelope envelope, List<Action> out) {
    String problem = Envelopes.invalidAddress(envelope.getTarget());
    if (problem != null) {
      // Responses are validated before they are applied and the shell validates loopback records,
      // so this is defensive: never let one bad message stop the task.
      Address blame = Envelopes.validCallerOrNull(envelope);
      out.add(new Action.DeadLetter(DeadLetterReason.INVALID_ADDRESS, problem, blame, List.of(envelope), 0));
      return;
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
    int owner = partitionOf(target);
    if (owner != partition) {
      listener.messageRouted(target.type(), false);
      out.add(new Action.SendToPartition(envelope, owner));
      return;
    }
    listener.messageRouted(target.type(), true);
    MailboxHeader updated = mailbox.append(target, envelope, out);
    if (updated != null && !admission.isInFlight(target)) {
      admission.ready(target, updated, false, out);
    }
  }

  /** Ends an event: sends waiting batches as slots allow, then publishes gauges. */
  private List<Action> finish(List<Action> out) {
    admission.pump(out);
    publish();
    return out;
  }

  private void publish() {
    inFlightSnapshot = admission.inFlightCount();
    pendingTimersSnapshot = delayedMessages.count();
    waitingSnapshot = admission.waitingCount();
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
      Address target, MailboxHeader header, int negotiations, boolean retry, int batchLimit, List<Action> out) {
    long head = header.getHeadSeq();
    int maxSize = Math.min(Math.min(limits.maxBatchSize(), directory.maxBatchSize(target.type())), batchLimit);
    long end = Math.min(header.getNextSeq(), head + Math.max(1, maxSize));
    RequestBuilder.Request request;
    try {
      request = requests.build(target, head, end);
    } catch (CorruptStoreRecordException e) {
      failCorruptBatch(target, head, end, e, out);
      return;
    }
    long requestId = REQUEST_IDS.incrementAndGet();
    admission.started(target, new InFlightBatch(requestId, head, end, negotiations, request.sentStates(), batchLimit));
    listener.batchSent(target.type(), (int) (end - head), retry);
    listener.backlog(target.type(), header.getNextSeq() - head);
    out.add(new Action.Invoke(target, requestId, request.toFunction(), (int) (end - head)));
  }

  /** The function asked for states it misses: send the batch again with them, or fail it. */
  private void negotiate(
      Address target, InFlightBatch flight, FromFunction response, int attempts, List<Action> out) {
    String failure = negotiation.negotiate(
        target.type(), flight, response.getIncompleteInvocationContext().getMissingValuesList());
    if (failure != null) {
      failBatch(target, flight, DeadLetterReason.STATE_NEGOTIATION_FAILED, failure, attempts, null, out);
      return;
    }
    admission.forgetKeepingSlot(target); // the slot is kept for the resend
    dispatch(target, mailbox.header(target, out), flight.negotiations() + 1, true, flight.batchLimit(), out);
  }

  // ---------------------------------------------------------------------------------------------
  // Applying a response

  private void apply(
      Address target, InFlightBatch flight, InvocationResponse response, int attempts, List<Action> out) {
    // 1. Validate everything first: a response is applied whole or not at all.
    ResponseValidator.Verdict verdict = validator.validate(target.type(), response);
    if (!verdict.valid()) {
      failBatch(target, flight, verdict.reason(), verdict.detail(), attempts, null, out);
      return;
    }

    // 2. State.
    long now = clock.getAsLong();
    stateWriter.apply(target, response.getStateMutationsList(), now, out);

    // 3. The batch is done: remove it from the mailbox.
    completeBatch(target, flight, out);

    // 4. Messages, delayed messages and egress records.
    sendMessages(target, response, now, out);
    for (Action.EmitEgress record : verdict.egress()) {
      listener.egressEmitted(record.egressId());
      out.add(record);
    }

    // 5. Next batch, unless a local message to self already sent it or queued the address.
    if (!admission.isInFlight(target)) {
      MailboxHeader current = mailbox.header(target, out);
      if (Mailbox.hasMessages(current)) {
        admission.ready(target, current, false, out);
      }
    }
  }

  /**
   * Delivers the messages of {@code sender}'s response and schedules (or cancels) its delayed
   * messages. Their envelopes are built here, by {@link Envelopes#outgoing}.
   */
  private void sendMessages(Address sender, InvocationResponse response, long now, List<Action> out) {
    for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
      deliver(Envelopes.outgoing(sender, message.getTarget(), message.getArgument()), out);
    }
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      String token = delayed.getCancellationToken();
      if (delayed.getIsCancellationRequest()) {
        delayedMessages.cancel(sender, token, out); // unknown or already fired tokens are a no-op
      } else {
        Envelope envelope = Envelopes.outgoing(sender, delayed.getTarget(), delayed.getArgument());
        delayedMessages.schedule(sender, envelope, token, now + delayed.getDelayInMs(), out);
      }
    }
  }

  private MailboxHeader completeBatch(Address target, InFlightBatch flight, List<Action> out) {
    admission.end(target);
    return mailbox.removeBatch(target, flight.head(), flight.end(), out);
  }

  private void failBatch(
      Address target,
      InFlightBatch flight,
      DeadLetterReason reason,
      String detail,
      int attempts,
      String errorClass,
      List<Action> out) {
    List<Envelope> batch = mailbox.readBatch(target, flight.head(), flight.end(), out);
    out.add(new Action.DeadLetter(reason, detail, target, batch, attempts, errorClass));
    listener.deadLettered(target.type(), reason, batch.size());
    MailboxHeader header = completeBatch(target, flight, out);
    if (header != null) {
      admission.ready(target, header, false, out);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Records that cannot be read

  /**
   * Sending {@code target}'s batch {@code [head, end)} needed a record that cannot be read (an
   * entry of the batch, or the address's state): that record is dead-lettered as raw bytes and
   * removed, the batch's messages are dead-lettered (those that cannot be read as raw bytes), and
   * the address goes on with its next batch. Gives back the slot the caller held for the batch.
   */
  private void failCorruptBatch(
      Address target, long head, long end, CorruptStoreRecordException error, List<Action> out) {
    admission.release(target.type());
    unreadable.drop(error, out);
    List<Envelope> batch = mailbox.readBatch(target, head, end, out);
    if (!batch.isEmpty()) {
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.CORRUPT_STORE_RECORD,
              "a record this batch needed cannot be read: " + error.getMessage(),
              target,
              batch,
              0,
              error.getCause() == null ? null : error.getCause().getClass().getName()));
      listener.deadLettered(target.type(), DeadLetterReason.CORRUPT_STORE_RECORD, batch.size());
    }
    MailboxHeader header = mailbox.removeBatch(target, head, end, out);
    if (header != null) {
      admission.ready(target, header, false, out);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Why {@code address} is not a valid function address (namespace and type non-empty and free of
   * {@code /}), or {@code null} when it is valid.
   */
  public static String invalidAddress(io.kstatefun.protocol.Address address) {
    return Envelopes.invalidAddress(address);
  }

  private static String describe(Throwable failure) {
    StringBuilder sb = new StringBuilder();
    Throwable t = failure;
    while (t != null && sb.length() < 1000) {
      if (sb.length() > 0) {
        sb.append("; caused by ");
      }
      sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
      t = t.getCause() == t ? null : t.getCause();
    }
    return sb.toString();
  }
}
