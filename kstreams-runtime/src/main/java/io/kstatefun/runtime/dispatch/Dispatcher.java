package io.kstatefun.runtime.dispatch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.ExpirationSpec.ExpireMode;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.Origin;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
   * @param maxRecordBytes most bytes of key and value of one record the dispatcher makes the
   *     runtime write: a mailbox entry or loopback record (a message), a state record, a timer, an
   *     egress record. Larger messages are dead-lettered ({@link DeadLetterReason#RECORD_TOO_LARGE});
   *     a response that would write a larger record is rejected whole ({@link
   *     DeadLetterReason#OUTPUT_TOO_LARGE}). The runtime derives it from the producer's {@code
   *     max.request.size}.
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
      if (maxBatchSize < 1 || maxInFlight < 1 || maxWaiting < 1 || maxMailboxSize < 1 || maxRecordBytes < 1) {
        throw new IllegalArgumentException("limits must be positive: " + maxBatchSize + ", "
            + maxInFlight + ", " + maxWaiting + ", " + maxMailboxSize + ", " + maxRecordBytes);
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
      this(maxBatchSize, maxNegotiationRounds, maxPendingTimers, maxTimersPerRound, maxInFlight, maxWaiting,
          maxMailboxSize, Long.MAX_VALUE);
    }

    /** Limits without in-flight, waiting and mailbox bounds. */
    public Limits(int maxBatchSize, int maxNegotiationRounds, long maxPendingTimers, int maxTimersPerRound) {
      this(maxBatchSize, maxNegotiationRounds, maxPendingTimers, maxTimersPerRound,
          Integer.MAX_VALUE, 100_000, Long.MAX_VALUE);
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

    default void egressEmitted(String egressId) {}

    default void deadLettered(FunctionType type, DeadLetterReason reason, int count) {}

    default void timerFired(long lateMs) {}
  }

  /**
   * The batch in flight of one address; {@code sentStates} are the state names the request
   * carried, {@code batchLimit} the most messages a request for it may carry (lowered when a
   * payload was too large), {@code origin} where the first message of the batch that came from an
   * ingress entered the system ({@code null} if none did): the messages the function sends in
   * answer inherit it.
   */
  private record InFlight(
      long requestId, long head, long end, int negotiations, java.util.Set<String> sentStates, int batchLimit,
      Origin origin) {}

  /** How many mailbox headers one paging step reads. */
  private static final int MAILBOX_PAGE = 1000;

  private final int partition;
  private final int numPartitions;
  private final DispatchStores stores;
  private final Directory directory;
  private final StateSpecRegistry specs;
  private final LongSupplier clock;
  private final Limits limits;
  private final Listener listener;
  private final InFlightLimiter limiter;
  private final Map<Address, InFlight> inFlight = new HashMap<>();
  /** Addresses with queued messages waiting for a slot, FIFO per function type. */
  private final LinkedHashMap<FunctionType, LinkedHashSet<Address>> waiting = new LinkedHashMap<>();
  private int waitingCount;
  /** Whether some addresses with queued messages may be neither in flight nor in {@link #waiting}. */
  private boolean rescanNeeded;
  /** Where the current paging pass through the mailboxes stands; null: at the start. */
  private Address scanCursor;
  /** Addresses not remembered (waiting queue full) since the current pass started. */
  private long droppedThisPass;
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
    this.limiter = limiter;
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
    releaseAll();
    rescanNeeded = true;
    scanCursor = null;
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
    releaseAll();
    publish();
  }

  /** A remote call ended. Answers to requests that are no longer in flight are ignored. */
  public List<Action> onResponse(CallOutcome outcome) {
    Address target = outcome.target();
    InFlight flight = inFlight.get(target);
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

  private void onFailure(Address target, InFlight flight, CallOutcome outcome, List<Action> out) {
    CallOutcome.FailureKind kind =
        outcome.failureKind() == null ? CallOutcome.FailureKind.TERMINAL : outcome.failureKind();
    int size = (int) (flight.end() - flight.head());
    String errorClass = outcome.failure().getClass().getName();
    DeadLetterReason reason;
    switch (kind) {
      case PAYLOAD_TOO_LARGE -> {
        if (size > 1) {
          // Split: send the first half again; the rest follows in later batches. The slot is kept.
          inFlight.remove(target);
          dispatch(target, header(target, out), 0, true, Math.max(1, size / 2), out);
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
    List<PendingTimer> due;
    while (true) {
      try {
        due = stores.dueTimers(now, limits.maxTimersPerRound());
        break;
      } catch (CorruptStoreRecordException e) {
        dropCorrupt(e, out); // and read the due timers again, without it
      }
    }
    for (PendingTimer timer : due) {
      stores.deleteTimer(timer);
      if (timer.hasExpiryCheck()) {
        expire(timer, now, out);
        continue;
      }
      Envelope envelope = timer.getEnvelope();
      if (!timer.getCancellationToken().isEmpty()) {
        stores.deleteTimerToken(Address.fromProto(envelope.getCaller()), timer.getCancellationToken());
      }
      listener.timerFired(now - timer.getDueMs());
      deliver(envelope, out);
    }
    return finish(out);
  }

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE}. */
  public long nextTimerDue() {
    return stores.earliestTimerDue();
  }

  // ---------------------------------------------------------------------------------------------
  // Delivery and dispatch

  private void deliver(Envelope envelope, List<Action> out) {
    String problem = invalidAddress(envelope.getTarget());
    if (problem != null) {
      // Responses are validated before they are applied and the shell validates loopback records,
      // so this is defensive: never let one bad message stop the task.
      Address blame = envelope.hasCaller() && invalidAddress(envelope.getCaller()) == null
          ? Address.fromProto(envelope.getCaller())
          : null;
      out.add(new Action.DeadLetter(DeadLetterReason.INVALID_ADDRESS, problem, blame, List.of(envelope), 0));
      return;
    }
    Address target = Address.fromProto(envelope.getTarget());
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
    long size = messageRecordBytes(envelope);
    if (size > limits.maxRecordBytes()) {
      // Messages from ingresses and responses are checked before they get here; this guards
      // loopback records written by other means (a re-injection, a larger max.request.size).
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.RECORD_TOO_LARGE,
              "the message for " + target + " would be a record of " + size + " bytes, more than the "
                  + limits.maxRecordBytes() + " bytes the runtime writes (derived from the producer's max.request.size)",
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
    listener.messageRouted(target.type(), true);
    MailboxHeader header = header(target, out);
    long head = header == null ? 0 : header.getHeadSeq();
    long next = header == null ? 0 : header.getNextSeq();
    if (next - head >= limits.maxMailboxSize()) {
      out.add(
          new Action.DeadLetter(
              DeadLetterReason.MAILBOX_FULL,
              "the mailbox of " + target + " already holds " + (next - head)
                  + " messages (kstatefun.max.mailbox.size " + limits.maxMailboxSize() + ")",
              target,
              List.of(envelope),
              0));
      listener.deadLettered(target.type(), DeadLetterReason.MAILBOX_FULL, 1);
      return;
    }
    stores.putEntry(target, next, envelope);
    MailboxHeader updated = MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(next + 1).build();
    stores.putHeader(target, updated);
    if (!inFlight.containsKey(target)) {
      ready(target, updated, false, out);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Slots and waiting addresses

  /**
   * {@code target} has queued messages and no request in flight: send its next batch if a slot is
   * free and nobody of its type waits before it, otherwise queue it.
   */
  private void ready(Address target, MailboxHeader header, boolean retry, List<Action> out) {
    if (isWaiting(target)) {
      return;
    }
    if (!waiting.containsKey(target.type()) && acquire(target.type())) {
      dispatch(target, header, 0, retry, Integer.MAX_VALUE, out);
    } else {
      enqueueWaiting(target);
    }
  }

  private boolean acquire(FunctionType type) {
    return inFlight.size() < limits.maxInFlight() && limiter.tryAcquire(type, partition);
  }

  private boolean isWaiting(Address address) {
    LinkedHashSet<Address> queue = waiting.get(address.type());
    return queue != null && queue.contains(address);
  }

  private void enqueueWaiting(Address address) {
    if (waitingCount >= limits.maxWaiting()) {
      // Not remembered: its messages are safe in the mailbox, and paging finds it again.
      rescanNeeded = true;
      droppedThisPass++;
      return;
    }
    waiting.computeIfAbsent(address.type(), t -> new LinkedHashSet<>()).add(address);
    waitingCount++;
  }

  /** Ends an event: sends waiting batches as slots allow, then publishes gauges. */
  private List<Action> finish(List<Action> out) {
    pump(out);
    publish();
    return out;
  }

  /** Serves waiting addresses, one per function type per round (round robin), while slots allow. */
  private void pump(List<Action> out) {
    while (true) {
      boolean progress = false;
      if (waitingCount > 0) {
        for (FunctionType type : new ArrayList<>(waiting.keySet())) {
          if (inFlight.size() >= limits.maxInFlight()) {
            break;
          }
          if (!limiter.tryAcquire(type, partition)) {
            continue;
          }
          LinkedHashSet<Address> queue = waiting.get(type);
          java.util.Iterator<Address> it = queue.iterator();
          Address next = it.next();
          it.remove();
          waitingCount--;
          if (queue.isEmpty()) {
            waiting.remove(type);
          }
          MailboxHeader header = header(next, out);
          if (header != null && header.getNextSeq() > header.getHeadSeq() && !inFlight.containsKey(next)) {
            dispatch(next, header, 0, false, Integer.MAX_VALUE, out);
          } else {
            limiter.release(type);
          }
          progress = true;
        }
      }
      if (!progress) {
        if (rescanNeeded && waitingCount < Math.max(1, limits.maxWaiting() / 2)
            && inFlight.size() < limits.maxInFlight()) {
          rescanPage(out);
          if (rescanNeeded && scanCursor != null) {
            continue;
          }
        }
        return;
      }
    }
  }

  /** Reads one page of mailbox headers and makes their addresses ready. */
  private void rescanPage(List<Action> out) {
    if (scanCursor == null) {
      droppedThisPass = 0;
    }
    List<Address> page = stores.mailboxes(scanCursor, MAILBOX_PAGE);
    for (Address address : page) {
      if (!inFlight.containsKey(address) && !isWaiting(address)) {
        MailboxHeader header = header(address, out);
        if (header != null && header.getNextSeq() > header.getHeadSeq()) {
          ready(address, header, true, out);
        }
      }
    }
    if (page.size() < MAILBOX_PAGE) {
      scanCursor = null;
      if (droppedThisPass == 0) {
        rescanNeeded = false;
      }
    } else {
      scanCursor = page.get(page.size() - 1);
    }
  }

  /** The request of {@code target} is over: forget it and give its slot back. */
  private void endFlight(Address target) {
    if (inFlight.remove(target) != null) {
      limiter.release(target.type());
    }
  }

  private void releaseAll() {
    for (Address address : inFlight.keySet()) {
      limiter.release(address.type());
    }
    inFlight.clear();
    waiting.clear();
    waitingCount = 0;
  }

  private void publish() {
    inFlightSnapshot = inFlight.size();
    pendingTimersSnapshot = stores.timerCount();
    waitingSnapshot = waitingCount;
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
    ToFunction.InvocationBatchRequest.Builder batch =
        ToFunction.InvocationBatchRequest.newBuilder().setTarget(target.toProto());
    StoredState state;
    Origin origin = null;
    try {
      for (long seq = head; seq < end; seq++) {
        Envelope envelope = stores.entry(target, seq);
        if (envelope == null) {
          continue; // cannot happen with consistent stores; never send a hole
        }
        if (origin == null && envelope.hasOrigin()) {
          origin = envelope.getOrigin();
        }
        ToFunction.Invocation.Builder invocation =
            ToFunction.Invocation.newBuilder().setArgument(envelope.getArgument());
        if (envelope.hasCaller()) {
          invocation.setCaller(envelope.getCaller());
        }
        batch.addInvocations(invocation);
      }
      state = stores.state(target);
    } catch (CorruptStoreRecordException e) {
      failCorruptBatch(target, head, end, e, out);
      return;
    }
    Map<String, StoredValue> values = valuesByName(state);
    long now = clock.getAsLong();
    java.util.Set<String> sent = new java.util.HashSet<>();
    for (PersistedValueSpec spec : specs.specsOf(target.type())) {
      sent.add(spec.getStateName());
      ToFunction.PersistedValue.Builder value =
          ToFunction.PersistedValue.newBuilder().setStateName(spec.getStateName());
      StoredValue stored = values.get(spec.getStateName());
      if (stored != null && !isExpired(stored, now)) {
        value.setStateValue(
            TypedValue.newBuilder()
                .setTypename(stored.getTypename())
                .setHasValue(true)
                .setValue(stored.getValue()));
      }
      batch.addState(value);
    }
    long requestId = REQUEST_IDS.incrementAndGet();
    inFlight.put(target, new InFlight(requestId, head, end, negotiations, sent, batchLimit, origin));
    listener.batchSent(target.type(), (int) (end - head), retry);
    listener.backlog(target.type(), header.getNextSeq() - head);
    out.add(
        new Action.Invoke(
            target, requestId, ToFunction.newBuilder().setInvocation(batch).build(), (int) (end - head)));
  }

  private void negotiate(
      Address target, InFlight flight, FromFunction response, int attempts, List<Action> out) {
    List<PersistedValueSpec> missing = response.getIncompleteInvocationContext().getMissingValuesList();
    for (PersistedValueSpec spec : missing) {
      if (spec.getStateName().isEmpty() || !isTypename(spec.getTypeTypename())) {
        failBatch(
            target,
            flight,
            DeadLetterReason.STATE_NEGOTIATION_FAILED,
            "function declared an invalid state spec: name '"
                + spec.getStateName()
                + "', type '"
                + spec.getTypeTypename()
                + "'",
            attempts,
            null,
            out);
        return;
      }
    }
    specs.register(target.type(), missing);
    // Another address of the same type may have registered these specs meanwhile: that is fine.
    // What is not fine is a function asking for states the request already carried.
    boolean askedForSentState = false;
    for (PersistedValueSpec spec : missing) {
      askedForSentState |= flight.sentStates().contains(spec.getStateName());
    }
    if (askedForSentState || flight.negotiations() + 1 >= limits.maxNegotiationRounds()) {
      failBatch(
          target,
          flight,
          DeadLetterReason.STATE_NEGOTIATION_FAILED,
          "function keeps asking for states it was given: " + names(missing),
          attempts,
          null,
          out);
      return;
    }
    inFlight.remove(target); // the slot is kept for the resend
    dispatch(target, header(target, out), flight.negotiations() + 1, true, flight.batchLimit(), out);
  }

  // ---------------------------------------------------------------------------------------------
  // Applying a response

  private void apply(
      Address target, InFlight flight, InvocationResponse response, int attempts, List<Action> out) {
    // 1. Validate everything first: a response is applied whole or not at all.
    String invalid = null;
    DeadLetterReason reason = null;
    List<Action.EmitEgress> egress = new ArrayList<>(response.getOutgoingEgressesCount());
    for (PersistedValueMutation mutation : response.getStateMutationsList()) {
      PersistedValueSpec spec = specs.spec(target.type(), mutation.getStateName());
      if (spec == null) {
        reason = DeadLetterReason.UNDECLARED_STATE_MUTATION;
        invalid = "function changed state '" + mutation.getStateName() + "' that it never declared";
        break;
      }
      if (mutation.getMutationType() == MutationType.MODIFY
          && !mutation.getStateValue().getTypename().equals(spec.getTypeTypename())) {
        reason = DeadLetterReason.STATE_TYPE_MISMATCH;
        invalid =
            "state '"
                + mutation.getStateName()
                + "' is declared as "
                + spec.getTypeTypename()
                + " but was written as "
                + mutation.getStateValue().getTypename();
        break;
      }
    }
    if (invalid == null) {
      for (EgressMessage message : response.getOutgoingEgressesList()) {
        String egressId = message.getEgressNamespace() + "/" + message.getEgressType();
        if (!directory.hasEgress(egressId)) {
          reason = DeadLetterReason.UNKNOWN_EGRESS;
          invalid = "function sent to egress " + egressId + ", which the module does not declare";
          break;
        }
        Action.EmitEgress record = toKafkaRecord(egressId, message.getArgument());
        if (record == null) {
          reason = DeadLetterReason.MALFORMED_EGRESS_RECORD;
          invalid =
              "egress "
                  + egressId
                  + " expects a "
                  + KAFKA_PRODUCER_RECORD_TYPENAME
                  + " with a topic, got typename '"
                  + message.getArgument().getTypename()
                  + "'";
          break;
        }
        if (!directory.egressTopicExists(record.topic())) {
          reason = DeadLetterReason.EGRESS_TOPIC_MISSING;
          invalid = "egress " + egressId + " record for topic '" + record.topic() + "', which does not exist";
          break;
        }
        egress.add(record);
      }
    }
    if (invalid == null) {
      for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
        String problem = invalidAddress(message.getTarget());
        if (problem != null) {
          reason = DeadLetterReason.INVALID_ADDRESS;
          invalid = "function sent a message to an invalid address: " + problem;
          break;
        }
      }
    }
    if (invalid == null) {
      for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
        if (delayed.getIsCancellationRequest()) {
          continue;
        }
        if (delayed.getDelayInMs() < 0) {
          reason = DeadLetterReason.INVALID_DELAYED_MESSAGE;
          invalid = "negative delay " + delayed.getDelayInMs() + " ms";
          break;
        }
        String problem = invalidAddress(delayed.getTarget());
        if (problem != null) {
          reason = DeadLetterReason.INVALID_ADDRESS;
          invalid = "function sent a delayed message to an invalid address: " + problem;
          break;
        }
      }
    }
    io.kstatefun.protocol.Address selfProto = target.toProto();
    List<Envelope> messages = new ArrayList<>(response.getOutgoingMessagesCount());
    if (invalid == null) {
      for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
        messages.add(message(message.getTarget(), selfProto, message.getArgument(), flight.origin()));
      }
      invalid = oversizedOutput(target, selfProto, response, messages, egress, flight.origin());
      reason = invalid == null ? null : DeadLetterReason.OUTPUT_TOO_LARGE;
    }
    if (invalid != null) {
      failBatch(target, flight, reason, invalid, attempts, null, out);
      return;
    }

    // 2. State.
    long now = clock.getAsLong();
    applyState(target, response.getStateMutationsList(), now, out);

    // 3. The batch is done: remove it from the mailbox.
    completeBatch(target, flight, out);

    // 4. Messages, delayed messages and egress records. They carry the batch's origin, so that a
    //    dead letter further down names the ingress record behind it.
    for (Envelope message : messages) {
      deliver(message, out);
    }
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      schedule(target, selfProto, delayed, now, flight.origin(), out);
    }
    for (Action.EmitEgress record : egress) {
      listener.egressEmitted(record.egressId());
      out.add(record);
    }

    // 5. Next batch, unless a local message to self already sent it or queued the address.
    if (!inFlight.containsKey(target)) {
      MailboxHeader current = header(target, out);
      if (current != null && current.getNextSeq() > current.getHeadSeq()) {
        ready(target, current, false, out);
      }
    }
  }

  private void applyState(Address target, List<PersistedValueMutation> mutations, long now, List<Action> out) {
    StoredState state = state(target, out);
    boolean hasAfterInvoke = false;
    for (PersistedValueSpec spec : specs.specsOf(target.type())) {
      if (spec.getExpirationSpec().getMode() == ExpireMode.AFTER_INVOKE) {
        hasAfterInvoke = true;
        break;
      }
    }
    if (mutations.isEmpty() && !hasAfterInvoke && (state == null || !anyExpired(state, now))) {
      return;
    }
    Map<String, StoredValue> values = valuesByName(state);
    values.values().removeIf(v -> isExpired(v, now));
    for (PersistedValueMutation mutation : mutations) {
      if (mutation.getMutationType() == MutationType.MODIFY) {
        PersistedValueSpec spec = specs.spec(target.type(), mutation.getStateName());
        values.put(
            mutation.getStateName(),
            StoredValue.newBuilder()
                .setName(mutation.getStateName())
                .setTypename(mutation.getStateValue().getTypename())
                .setValue(mutation.getStateValue().getValue())
                .setExpiresAtMs(expiryAfterWrite(spec, now))
                .build());
      } else {
        values.remove(mutation.getStateName());
      }
    }
    if (hasAfterInvoke) {
      for (Map.Entry<String, StoredValue> e : values.entrySet()) {
        PersistedValueSpec spec = specs.spec(target.type(), e.getKey());
        if (spec != null && spec.getExpirationSpec().getMode() == ExpireMode.AFTER_INVOKE) {
          e.setValue(
              e.getValue().toBuilder()
                  .setExpiresAtMs(now + spec.getExpirationSpec().getExpireAfterMillis())
                  .build());
        }
      }
    }
    long pendingDue = state == null ? 0 : state.getExpiryCheckMs();
    long pendingSeq = state == null ? 0 : state.getExpiryCheckSeq();
    writeState(target, values, pendingDue, pendingSeq, now);
  }

  /**
   * Stores {@code values} as the state of {@code target} (deletes it when empty) and keeps exactly
   * one expiry check for it while some value has a TTL: the pending check is kept when it is due
   * now or later but no later than the earliest expiry (a check that finds the value renewed
   * reschedules itself); otherwise it is deleted and one due at the earliest expiry takes its
   * place. The state records the check's due time and sequence, which make its timer key.
   *
   * @param pendingDue due time of the pending check (0: none)
   * @param pendingSeq its timer sequence number (0: not recorded, by states of older versions; such
   *     a check cannot be deleted, and is ignored when it fires if it is no longer the recorded one)
   */
  private void writeState(
      Address target, Map<String, StoredValue> values, long pendingDue, long pendingSeq, long now) {
    long earliest = Long.MAX_VALUE;
    for (StoredValue v : values.values()) {
      if (v.getExpiresAtMs() > 0) {
        earliest = Math.min(earliest, v.getExpiresAtMs());
      }
    }
    long checkDue = pendingDue;
    long checkSeq = pendingSeq;
    boolean keep = pendingDue != 0 && earliest != Long.MAX_VALUE && pendingDue >= now && pendingDue <= earliest;
    if (!keep) {
      if (pendingDue != 0 && pendingSeq != 0) {
        stores.deleteTimer(PendingTimer.newBuilder().setDueMs(pendingDue).setSeq(pendingSeq).build());
      }
      checkDue = 0;
      checkSeq = 0;
      if (earliest != Long.MAX_VALUE) {
        checkDue = earliest;
        checkSeq = stores.nextTimerSeq();
        stores.putTimer(
            PendingTimer.newBuilder().setDueMs(checkDue).setSeq(checkSeq).setExpiryCheck(target.toProto()).build());
      }
    }
    if (values.isEmpty()) {
      stores.deleteState(target);
      return;
    }
    stores.putState(
        target,
        StoredState.newBuilder()
            .addAllValues(values.values())
            .setExpiryCheckMs(checkDue)
            .setExpiryCheckSeq(checkSeq)
            .build());
  }

  /**
   * An expiry check fired (its timer is already deleted): drop the expired values of its address
   * and schedule the next check if values with a TTL remain. A check that is not the one the state
   * records is ignored: only states written by older versions can have left such checks behind.
   */
  private void expire(PendingTimer check, long now, List<Action> out) {
    Address target = Address.fromProto(check.getExpiryCheck());
    StoredState state = state(target, out);
    if (state == null || !isRecordedCheck(state, check)) {
      return;
    }
    Map<String, StoredValue> values = valuesByName(state);
    values.values().removeIf(v -> isExpired(v, now));
    writeState(target, values, 0, 0, now);
  }

  private static boolean isRecordedCheck(StoredState state, PendingTimer check) {
    return state.getExpiryCheckMs() == check.getDueMs()
        && (state.getExpiryCheckSeq() == 0 || state.getExpiryCheckSeq() == check.getSeq());
  }

  private MailboxHeader completeBatch(Address target, InFlight flight, List<Action> out) {
    endFlight(target);
    return removeBatch(target, flight.head(), flight.end(), out);
  }

  /** Removes the entries {@code [head, end)} from the mailbox; returns what is left, or null. */
  private MailboxHeader removeBatch(Address target, long head, long end, List<Action> out) {
    for (long seq = head; seq < end; seq++) {
      stores.deleteEntry(target, seq);
    }
    MailboxHeader header = header(target, out);
    long next = header == null ? end : header.getNextSeq();
    if (next <= end) {
      stores.deleteHeader(target);
      return null;
    }
    MailboxHeader updated = MailboxHeader.newBuilder().setHeadSeq(end).setNextSeq(next).build();
    stores.putHeader(target, updated);
    return updated;
  }

  private void failBatch(
      Address target,
      InFlight flight,
      DeadLetterReason reason,
      String detail,
      int attempts,
      String errorClass,
      List<Action> out) {
    List<Envelope> batch = readBatch(target, flight.head(), flight.end(), out);
    out.add(new Action.DeadLetter(reason, detail, target, batch, attempts, errorClass));
    listener.deadLettered(target.type(), reason, batch.size());
    MailboxHeader header = completeBatch(target, flight, out);
    if (header != null) {
      ready(target, header, false, out);
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
    limiter.release(target.type());
    dropCorrupt(error, out);
    List<Envelope> batch = readBatch(target, head, end, out);
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
    MailboxHeader header = removeBatch(target, head, end, out);
    if (header != null) {
      ready(target, header, false, out);
    }
  }

  /** The messages {@code [head, end)} of {@code target}; entries that cannot be read are dropped. */
  private List<Envelope> readBatch(Address target, long head, long end, List<Action> out) {
    List<Envelope> batch = new ArrayList<>((int) Math.min(end - head, 1024));
    for (long seq = head; seq < end; seq++) {
      try {
        Envelope envelope = stores.entry(target, seq);
        if (envelope != null) {
          batch.add(envelope);
        }
      } catch (CorruptStoreRecordException e) {
        dropCorrupt(e, out);
      }
    }
    return batch;
  }

  /**
   * The mailbox header of {@code target}. A header that cannot be read is dead-lettered, removed
   * and replaced by the one the address's entries imply, so no message is lost.
   */
  private MailboxHeader header(Address target, List<Action> out) {
    try {
      return stores.header(target);
    } catch (CorruptStoreRecordException e) {
      dropCorrupt(e, out);
      MailboxHeader rebuilt = stores.headerFromEntries(target);
      if (rebuilt != null) {
        stores.putHeader(target, rebuilt);
      }
      return rebuilt;
    }
  }

  /** The state of {@code target}; one that cannot be read is dead-lettered and removed (null). */
  private StoredState state(Address target, List<Action> out) {
    try {
      return stores.state(target);
    } catch (CorruptStoreRecordException e) {
      dropCorrupt(e, out);
      return null;
    }
  }

  /** The pending timer with this token of {@code sender}; an index record that cannot be read is dropped (null). */
  private PendingTimer timerByToken(Address sender, String token, List<Action> out) {
    try {
      return stores.timerByToken(sender, token);
    } catch (CorruptStoreRecordException e) {
      dropCorrupt(e, out);
      return null;
    }
  }

  /** Removes a record that cannot be read from the store and dead-letters its raw bytes. */
  private void dropCorrupt(CorruptStoreRecordException e, List<Action> out) {
    switch (e.kind()) {
      case MAILBOX_HEADER -> stores.deleteHeader(e.address());
      case MAILBOX_ENTRY -> stores.deleteEntry(e.address(), e.seq());
      case STATE -> stores.deleteState(e.address());
      case TIMER -> stores.deleteTimer(PendingTimer.newBuilder().setDueMs(e.dueMs()).setSeq(e.seq()).build());
      case TIMER_TOKEN -> stores.deleteTimerToken(e.address(), e.token());
    }
    out.add(new Action.DeadLetterStoreRecord(e));
  }

  // ---------------------------------------------------------------------------------------------
  // Delayed messages

  /**
   * Applies one {@code DelayedInvocation} of {@code sender}'s response: a cancellation removes the
   * pending message with that token of this sender (no-op if none); a message is stored as a timer
   * due at {@code now + delay}. A token still pending for this sender, or a full timer store,
   * dead-letters the new message (reason {@link DeadLetterReason#INVALID_DELAYED_MESSAGE}); the
   * pending one is kept.
   */
  private void schedule(
      Address sender,
      io.kstatefun.protocol.Address senderProto,
      DelayedInvocation delayed,
      long now,
      Origin origin,
      List<Action> out) {
    String token = delayed.getCancellationToken();
    if (delayed.getIsCancellationRequest()) {
      PendingTimer pending = timerByToken(sender, token, out);
      if (pending != null) {
        stores.deleteTimer(pending);
        stores.deleteTimerToken(sender, token);
      }
      return; // unknown or already fired tokens are a no-op
    }
    Envelope envelope = message(delayed.getTarget(), senderProto, delayed.getArgument(), origin);
    if (!token.isEmpty() && timerByToken(sender, token, out) != null) {
      rejectDelayed(sender, envelope, "a delayed message with cancellation token '" + token + "' is already pending for " + sender, out);
      return;
    }
    if (stores.timerCount() >= limits.maxPendingTimers()) {
      rejectDelayed(sender, envelope, "the task already has " + stores.timerCount() + " pending delayed messages (limit " + limits.maxPendingTimers() + ")", out);
      return;
    }
    PendingTimer timer =
        PendingTimer.newBuilder()
            .setEnvelope(envelope)
            .setDueMs(now + delayed.getDelayInMs())
            .setCancellationToken(token)
            .setSeq(stores.nextTimerSeq())
            .build();
    stores.putTimer(timer);
    if (!token.isEmpty()) {
      stores.putTimerToken(sender, token, timer);
    }
  }

  private void rejectDelayed(Address sender, Envelope envelope, String detail, List<Action> out) {
    out.add(new Action.DeadLetter(DeadLetterReason.INVALID_DELAYED_MESSAGE, detail, sender, List.of(envelope), 0));
    listener.deadLettered(sender.type(), DeadLetterReason.INVALID_DELAYED_MESSAGE, 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Record sizes

  /** A message a function sends: from {@code caller}, with the origin of the batch that sent it. */
  private static Envelope message(
      io.kstatefun.protocol.Address target, io.kstatefun.protocol.Address caller, TypedValue argument, Origin origin) {
    Envelope.Builder b = Envelope.newBuilder().setTarget(target).setCaller(caller).setArgument(argument);
    if (origin != null) {
      b.setOrigin(origin);
    }
    return b.build();
  }

  /** Bytes a store key holds besides an address (a prefix byte, a sequence number, lengths). */
  private static final int KEY_OVERHEAD = 16;

  /**
   * An upper bound of the key and value bytes of the largest record a message becomes: its
   * mailbox entry (address and sequence number -> envelope). Its loopback record (id -> envelope)
   * is smaller.
   */
  public static long messageRecordBytes(Envelope envelope) {
    return envelope.getTarget().getSerializedSize() + KEY_OVERHEAD + envelope.getSerializedSize();
  }

  /**
   * Why applying {@code response} would write a record larger than {@link
   * Limits#maxRecordBytes()}, or {@code null} if every record fits: a message, a delayed message
   * (its timer and token index records), an egress record, or the address's state after the
   * mutations.
   */
  private String oversizedOutput(
      Address target,
      io.kstatefun.protocol.Address selfProto,
      InvocationResponse response,
      List<Envelope> messages,
      List<Action.EmitEgress> egress,
      Origin origin) {
    long max = limits.maxRecordBytes();
    if (max == Long.MAX_VALUE) {
      return null;
    }
    String limit = " bytes, more than the " + max + " bytes the runtime writes per record (derived from the producer's max.request.size)";
    for (Envelope message : messages) {
      long size = messageRecordBytes(message);
      if (size > max) {
        return "function sent a message to " + describe(message.getTarget()) + " that would be a record of " + size + limit;
      }
    }
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      if (delayed.getIsCancellationRequest()) {
        continue;
      }
      long token = com.google.protobuf.CodedOutputStream.computeStringSizeNoTag(delayed.getCancellationToken());
      Envelope envelope = message(delayed.getTarget(), selfProto, delayed.getArgument(), origin);
      // The timer record's value is the envelope, due time, sequence and token; the token index
      // record has the same value under the sender's address and the token.
      long size = selfProto.getSerializedSize() + KEY_OVERHEAD + token
          + envelope.getSerializedSize() + token + 3 * 11L;
      if (size > max) {
        return "function sent a delayed message to " + describe(delayed.getTarget()) + " that would be a record of " + size + limit;
      }
    }
    for (Action.EmitEgress record : egress) {
      long size = (record.key() == null ? 0 : record.key().length) + (long) record.value().length;
      if (size > max) {
        return "function sent an egress record to " + record.egressId() + " (topic " + record.topic() + ") of " + size + limit;
      }
    }
    if (response.getStateMutationsCount() > 0) {
      long size = stateRecordBytes(target, response.getStateMutationsList());
      if (size > max) {
        return "the state of " + target + " would be a record of " + size + limit;
      }
    }
    return null;
  }

  /** An upper bound of the key and value bytes of {@code target}'s state after {@code mutations}. */
  private long stateRecordBytes(Address target, List<PersistedValueMutation> mutations) {
    Map<String, Long> sizes = new HashMap<>();
    StoredState state = stores.state(target);
    if (state != null) {
      for (StoredValue v : state.getValuesList()) {
        sizes.put(v.getName(), v.getSerializedSize() + 6L);
      }
    }
    for (PersistedValueMutation mutation : mutations) {
      if (mutation.getMutationType() == MutationType.MODIFY) {
        TypedValue value = mutation.getStateValue();
        // name, typename and value with their tags and lengths, and an expiry time
        sizes.put(
            mutation.getStateName(),
            com.google.protobuf.CodedOutputStream.computeStringSizeNoTag(mutation.getStateName())
                + com.google.protobuf.CodedOutputStream.computeStringSizeNoTag(value.getTypename())
                + (long) value.getValue().size() + 3 * 6L + 11 + 6);
      } else {
        sizes.remove(mutation.getStateName());
      }
    }
    long size = target.toProto().getSerializedSize() + KEY_OVERHEAD + 11L; // key, expiry check time
    for (long s : sizes.values()) {
      size += s;
    }
    return size;
  }

  private static String describe(io.kstatefun.protocol.Address address) {
    String id = address.getId();
    return address.getNamespace() + "/" + address.getType() + "/" + (id.length() > 100 ? id.substring(0, 100) + "..." : id);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Action.EmitEgress toKafkaRecord(String egressId, TypedValue argument) {
    if (!KAFKA_PRODUCER_RECORD_TYPENAME.equals(argument.getTypename())) {
      return null;
    }
    try {
      KafkaProducerRecord record = KafkaProducerRecord.parseFrom(argument.getValue());
      if (record.getTopic().isEmpty()) {
        return null;
      }
      byte[] key = record.getKey().isEmpty() ? null : record.getKey().getBytes(StandardCharsets.UTF_8);
      return new Action.EmitEgress(egressId, record.getTopic(), key, record.getValueBytes().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private static Map<String, StoredValue> valuesByName(StoredState state) {
    Map<String, StoredValue> values = new LinkedHashMap<>();
    if (state != null) {
      for (StoredValue v : state.getValuesList()) {
        values.put(v.getName(), v);
      }
    }
    return values;
  }

  private static boolean isExpired(StoredValue value, long now) {
    return value.getExpiresAtMs() > 0 && value.getExpiresAtMs() <= now;
  }

  private static boolean anyExpired(StoredState state, long now) {
    for (StoredValue v : state.getValuesList()) {
      if (isExpired(v, now)) {
        return true;
      }
    }
    return false;
  }

  private static long expiryAfterWrite(PersistedValueSpec spec, long now) {
    if (spec == null || spec.getExpirationSpec().getMode() == ExpireMode.NONE) {
      return 0;
    }
    return now + spec.getExpirationSpec().getExpireAfterMillis();
  }

  /**
   * Why {@code address} is not a valid function address (namespace and type non-empty and free of
   * {@code /}), or {@code null} when it is valid.
   */
  public static String invalidAddress(io.kstatefun.protocol.Address address) {
    try {
      Address.fromProto(address);
      return null;
    } catch (IllegalArgumentException e) {
      return "'" + address.getNamespace() + "/" + address.getType() + "/" + address.getId() + "': "
          + e.getMessage();
    }
  }

  private static boolean isTypename(String typename) {
    int slash = typename.indexOf('/');
    return slash > 0 && slash < typename.length() - 1;
  }

  private static String names(List<PersistedValueSpec> specs) {
    List<String> names = new ArrayList<>(specs.size());
    for (PersistedValueSpec s : specs) {
      names.add(s.getStateName());
    }
    return names.toString();
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
