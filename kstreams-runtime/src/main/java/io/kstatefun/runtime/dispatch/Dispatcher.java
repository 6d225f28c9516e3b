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
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * <p>Threading: owned by the task's stream thread; not thread-safe.
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
  }

  /**
   * Limits of the dispatcher.
   *
   * @param maxBatchSize most messages in one request
   * @param maxNegotiationRounds how often one batch may answer with missing states
   * @param maxPendingTimers most pending delayed messages per task
   * @param maxTimersPerRound most timers fired by one {@link #onTimers} call
   */
  public record Limits(
      int maxBatchSize, int maxNegotiationRounds, long maxPendingTimers, int maxTimersPerRound) {
    public static Limits defaults() {
      return new Limits(1000, 3, 1_000_000L, 10_000);
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

  /** The batch in flight of one address; {@code sentStates} are the state names the request carried. */
  private record InFlight(long requestId, long head, long end, int negotiations, java.util.Set<String> sentStates) {}

  private final int partition;
  private final int numPartitions;
  private final DispatchStores stores;
  private final Directory directory;
  private final StateSpecRegistry specs;
  private final LongSupplier clock;
  private final Limits limits;
  private final Listener listener;
  private final Map<Address, InFlight> inFlight = new HashMap<>();
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
    this.partition = partition;
    this.numPartitions = numPartitions;
    this.stores = stores;
    this.directory = directory;
    this.specs = specs;
    this.clock = clock;
    this.limits = limits;
    this.listener = listener;
  }

  /** The partition whose addresses this dispatcher owns. */
  public int partition() {
    return partition;
  }

  /** The partition that owns {@code address}: a function of its id only. */
  public int partitionOf(Address address) {
    return AddressPartitioner.partition(address.id(), numPartitions);
  }

  /**
   * Number of pending timers (delayed messages and expiry checks) of this task, as of the end of
   * the last event. Safe to read from any thread.
   */
  public long pendingTimers() {
    return pendingTimersGauge;
  }

  /** Number of addresses with a request in flight, as of the end of the last event. Any thread. */
  public int inFlightCount() {
    return inFlightGauge;
  }

  private volatile long pendingTimersGauge;
  private volatile int inFlightGauge;

  private <T> T published(T result) {
    inFlightGauge = inFlight.size();
    pendingTimersGauge = stores.timerCount();
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /** A message arrived for an address (from an ingress, the loopback topic, or locally). */
  public List<Action> onMessage(Envelope envelope) {
    List<Action> out = new ArrayList<>(2);
    deliver(envelope, out);
    return published(out);
  }

  /** The task (re)started: send every non-empty mailbox's head batch (again). */
  public List<Action> onRecover() {
    inFlight.clear();
    List<Address> pending = new ArrayList<>();
    stores.forEachMailbox(pending::add);
    List<Action> out = new ArrayList<>(pending.size());
    for (Address address : pending) {
      MailboxHeader header = stores.header(address);
      if (header != null && header.getNextSeq() > header.getHeadSeq()) {
        dispatch(address, header, 0, true, out);
      }
    }
    return published(out);
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
      failBatch(
          target,
          flight,
          DeadLetterReason.FUNCTION_CALL_FAILED,
          describe(outcome.failure()),
          outcome.attempts(),
          out);
      return published(out);
    }
    FromFunction response = outcome.response();
    switch (response.getResponseCase()) {
      case INCOMPLETE_INVOCATION_CONTEXT -> negotiate(target, flight, response, outcome.attempts(), out);
      case INVOCATION_RESULT -> apply(target, flight, response.getInvocationResult(), outcome.attempts(), out);
      default -> apply(target, flight, InvocationResponse.getDefaultInstance(), outcome.attempts(), out);
    }
    return published(out);
  }

  /** Wall-clock time passed: fire due delayed messages and expiry checks. */
  public List<Action> onTimers() {
    long now = clock.getAsLong();
    List<PendingTimer> due = stores.dueTimers(now, limits.maxTimersPerRound());
    if (due.isEmpty()) {
      return List.of();
    }
    List<Action> out = new ArrayList<>(due.size());
    for (PendingTimer timer : due) {
      stores.deleteTimer(timer);
      if (timer.hasExpiryCheck()) {
        expire(Address.fromProto(timer.getExpiryCheck()), now);
        continue;
      }
      Envelope envelope = timer.getEnvelope();
      if (!timer.getCancellationToken().isEmpty()) {
        stores.deleteTimerToken(Address.fromProto(envelope.getCaller()), timer.getCancellationToken());
      }
      listener.timerFired(now - timer.getDueMs());
      deliver(envelope, out);
    }
    return published(out);
  }

  /** The due time of the earliest pending timer, or {@code Long.MAX_VALUE}. */
  public long nextTimerDue() {
    return stores.earliestTimerDue();
  }

  // ---------------------------------------------------------------------------------------------
  // Delivery and dispatch

  private void deliver(Envelope envelope, List<Action> out) {
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
    int owner = partitionOf(target);
    if (owner != partition) {
      listener.messageRouted(target.type(), false);
      out.add(new Action.SendToPartition(envelope, owner));
      return;
    }
    listener.messageRouted(target.type(), true);
    MailboxHeader header = stores.header(target);
    long head = header == null ? 0 : header.getHeadSeq();
    long next = header == null ? 0 : header.getNextSeq();
    stores.putEntry(target, next, envelope);
    MailboxHeader updated = MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(next + 1).build();
    stores.putHeader(target, updated);
    if (!inFlight.containsKey(target)) {
      dispatch(target, updated, 0, false, out);
    }
  }

  /** Sends the batch at the head of {@code target}'s mailbox. */
  private void dispatch(
      Address target, MailboxHeader header, int negotiations, boolean retry, List<Action> out) {
    long head = header.getHeadSeq();
    long end = Math.min(header.getNextSeq(), head + limits.maxBatchSize());
    ToFunction.InvocationBatchRequest.Builder batch =
        ToFunction.InvocationBatchRequest.newBuilder().setTarget(target.toProto());
    for (long seq = head; seq < end; seq++) {
      Envelope envelope = stores.entry(target, seq);
      if (envelope == null) {
        continue; // cannot happen with consistent stores; never send a hole
      }
      ToFunction.Invocation.Builder invocation =
          ToFunction.Invocation.newBuilder().setArgument(envelope.getArgument());
      if (envelope.hasCaller()) {
        invocation.setCaller(envelope.getCaller());
      }
      batch.addInvocations(invocation);
    }
    StoredState state = stores.state(target);
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
    inFlight.put(target, new InFlight(requestId, head, end, negotiations, sent));
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
          out);
      return;
    }
    inFlight.remove(target);
    dispatch(target, stores.header(target), flight.negotiations() + 1, true, out);
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
        egress.add(record);
      }
    }
    if (invalid == null) {
      for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
        if (!delayed.getIsCancellationRequest() && delayed.getDelayInMs() < 0) {
          reason = DeadLetterReason.INVALID_DELAYED_MESSAGE;
          invalid = "negative delay " + delayed.getDelayInMs() + " ms";
          break;
        }
      }
    }
    if (invalid != null) {
      failBatch(target, flight, reason, invalid, attempts, out);
      return;
    }

    // 2. State.
    long now = clock.getAsLong();
    applyState(target, response.getStateMutationsList(), now);

    // 3. The batch is done: remove it from the mailbox.
    MailboxHeader header = completeBatch(target, flight);

    // 4. Messages, delayed messages and egress records.
    io.kstatefun.protocol.Address selfProto = target.toProto();
    for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
      deliver(
          Envelope.newBuilder()
              .setTarget(message.getTarget())
              .setCaller(selfProto)
              .setArgument(message.getArgument())
              .build(),
          out);
    }
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      schedule(target, selfProto, delayed, now, out);
    }
    for (Action.EmitEgress record : egress) {
      listener.egressEmitted(record.egressId());
      out.add(record);
    }

    // 5. Next batch, unless a local message to self already sent it.
    if (header != null && !inFlight.containsKey(target)) {
      MailboxHeader current = stores.header(target);
      if (current != null && current.getNextSeq() > current.getHeadSeq()) {
        dispatch(target, current, 0, false, out);
      }
    }
  }

  private void applyState(Address target, List<PersistedValueMutation> mutations, long now) {
    StoredState state = stores.state(target);
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
    writeState(target, values, state == null ? 0 : state.getExpiryCheckMs(), now);
  }

  private void writeState(Address target, Map<String, StoredValue> values, long scheduledCheck, long now) {
    if (values.isEmpty()) {
      stores.deleteState(target);
      return; // a pending expiry check finds nothing and ends
    }
    long earliest = Long.MAX_VALUE;
    for (StoredValue v : values.values()) {
      if (v.getExpiresAtMs() > 0) {
        earliest = Math.min(earliest, v.getExpiresAtMs());
      }
    }
    long check = scheduledCheck;
    if (earliest != Long.MAX_VALUE && (scheduledCheck == 0 || scheduledCheck > earliest || scheduledCheck < now)) {
      // One check at a time per address: schedule one unless an earlier one is pending. A check
      // that finds the value renewed reschedules itself.
      check = earliest;
      stores.putTimer(
          PendingTimer.newBuilder()
              .setDueMs(earliest)
              .setSeq(stores.nextTimerSeq())
              .setExpiryCheck(target.toProto())
              .build());
    }
    stores.putState(
        target, StoredState.newBuilder().addAllValues(values.values()).setExpiryCheckMs(check).build());
  }

  /** An expiry check fired: drop expired values of {@code target}, reschedule if some remain. */
  private void expire(Address target, long now) {
    StoredState state = stores.state(target);
    if (state == null) {
      return;
    }
    Map<String, StoredValue> values = valuesByName(state);
    values.values().removeIf(v -> isExpired(v, now));
    writeState(target, values, 0, now);
  }

  private MailboxHeader completeBatch(Address target, InFlight flight) {
    inFlight.remove(target);
    for (long seq = flight.head(); seq < flight.end(); seq++) {
      stores.deleteEntry(target, seq);
    }
    MailboxHeader header = stores.header(target);
    long next = header == null ? flight.end() : header.getNextSeq();
    if (next <= flight.end()) {
      stores.deleteHeader(target);
      return null;
    }
    MailboxHeader updated = MailboxHeader.newBuilder().setHeadSeq(flight.end()).setNextSeq(next).build();
    stores.putHeader(target, updated);
    return updated;
  }

  private void failBatch(
      Address target,
      InFlight flight,
      DeadLetterReason reason,
      String detail,
      int attempts,
      List<Action> out) {
    List<Envelope> batch = new ArrayList<>((int) (flight.end() - flight.head()));
    for (long seq = flight.head(); seq < flight.end(); seq++) {
      Envelope envelope = stores.entry(target, seq);
      if (envelope != null) {
        batch.add(envelope);
      }
    }
    out.add(new Action.DeadLetter(reason, detail, target, batch, attempts));
    listener.deadLettered(target.type(), reason, batch.size());
    MailboxHeader header = completeBatch(target, flight);
    if (header != null) {
      dispatch(target, header, 0, false, out);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Delayed messages

  private void schedule(
      Address sender,
      io.kstatefun.protocol.Address senderProto,
      DelayedInvocation delayed,
      long now,
      List<Action> out) {
    String token = delayed.getCancellationToken();
    if (delayed.getIsCancellationRequest()) {
      PendingTimer pending = stores.timerByToken(sender, token);
      if (pending != null) {
        stores.deleteTimer(pending);
        stores.deleteTimerToken(sender, token);
      }
      return; // unknown or already fired tokens are a no-op
    }
    Envelope envelope =
        Envelope.newBuilder()
            .setTarget(delayed.getTarget())
            .setCaller(senderProto)
            .setArgument(delayed.getArgument())
            .build();
    if (!token.isEmpty() && stores.timerByToken(sender, token) != null) {
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
