package io.kstatefun.runtime.internals.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.ExpirationSpec;
import io.kstatefun.protocol.FromFunction.IncompleteInvocationContext;
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
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.Origin;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher's scenarios, run as a contract suite against every {@link DispatchStores}
 * implementation: {@link InMemoryStoresDispatcherTest} (plain maps) and {@link
 * RocksDbStoresDispatcherTest} (the shell's changelogged, cached RocksDB stores behind {@code
 * KafkaDispatchStores}). A "restart" gives the new dispatcher the stores as a restarted task gets
 * them: the same durable data, nothing an earlier instance kept in memory.
 */
@Timeout(30)
abstract class DispatcherTest {

  /** The durable stores of the task under test. */
  interface Stores extends AutoCloseable {

    /** The stores as a (re)started task sees them: the same data, no caches of an earlier view. */
    DispatchStores open();

    /** Mailbox entries (queued messages) stored, over all addresses. */
    long entries();

    /** Timers (delayed messages and expiry checks) stored. */
    long timers();

    /** Cancellation tokens stored. */
    long tokens();

    @Override
    default void close() throws Exception {}
  }

  /** Empty stores for one test. */
  abstract Stores newStores();

  private static final int PARTITIONS = 4;
  private static final FunctionType COUNTER = new FunctionType("example", "counter");
  private static final FunctionType PRINTER = new FunctionType("example", "printer");
  private static final String INT = "io.statefun.types/int";

  private Stores durable;
  private DispatchStores stores;
  private final StateSpecRegistry specs = new StateSpecRegistry();
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final String localId = "alice";
  private final int partition = AddressPartitioner.partition(localId, PARTITIONS);
  private Dispatcher.Limits limits = new Dispatcher.Limits(3, 3, 100, 1000);
  private InFlightLimiter limiter = InFlightLimiter.UNLIMITED;
  private Dispatcher dispatcher;

  @BeforeEach
  void openStores() {
    durable = newStores();
    stores = durable.open();
    dispatcher = newDispatcher();
  }

  @AfterEach
  void closeStores() throws Exception {
    durable.close();
  }

  /** A crash and restart: a new dispatcher, memory gone, the durable stores kept. */
  private void restart() {
    stores = durable.open();
    dispatcher = newDispatcher();
  }

  private Dispatcher newDispatcher() {
    return new Dispatcher(
        partition,
        PARTITIONS,
        stores,
        new Dispatcher.Directory() {
          @Override
          public boolean hasFunction(FunctionType type) {
            return type.namespace().equals("example");
          }

          @Override
          public boolean hasEgress(String egressId) {
            return egressId.equals("example/out");
          }

          @Override
          public boolean egressTopicExists(String topic) {
            return !topic.startsWith("missing");
          }

          @Override
          public int maxBatchSize(FunctionType type) {
            return type.equals(PRINTER) ? 2 : Integer.MAX_VALUE;
          }
        },
        specs,
        now::get,
        limits,
        new Dispatcher.Listener() {},
        Dispatcher.Options.defaults().withLimiter(limiter));
  }

  /** A restart (same durable stores) with these limits. */
  private void restartWith(Dispatcher.Limits newLimits, InFlightLimiter newLimiter) {
    limits = newLimits;
    limiter = newLimiter;
    restart();
  }

  private void assertNoMailboxes() {
    assertThat(stores.mailboxes(null, 100)).isEmpty();
  }

  /** No timer is stored, and the store's own count and earliest due time agree. */
  private void assertNoTimers() {
    assertThat(durable.timers()).as("timers stored").isZero();
    assertThat(stores.timerCount()).as("timer count").isZero();
    assertThat(stores.earliestTimerDue()).as("earliest due time").isEqualTo(Long.MAX_VALUE);
  }

  private static Dispatcher.Limits limits(
      int maxBatch, int maxInFlight, int maxWaiting, long maxMailbox) {
    return new Dispatcher.Limits(maxBatch, 3, 100, 1000, maxInFlight, maxWaiting, maxMailbox);
  }

  /** Ids on this dispatcher's partition, distinct, in a stable order. */
  private List<String> localIds(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; ids.size() < n; i++) {
      String id = "id-" + i;
      if (AddressPartitioner.partition(id, PARTITIONS) == partition) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** An endpoint limiter with {@code max} slots for every type, recording wake-ups. */
  private static final class CountingLimiter implements InFlightLimiter {
    final int max;
    int used;
    final List<Integer> waiters = new ArrayList<>();

    CountingLimiter(int max) {
      this.max = max;
    }

    @Override
    public boolean tryAcquire(FunctionType type, int partition) {
      if (used >= max) {
        waiters.add(partition);
        return false;
      }
      used++;
      return true;
    }

    @Override
    public void release(FunctionType type) {
      used--;
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Address addr(FunctionType type, String id) {
    return new Address(type, id);
  }

  private static Envelope message(Address target, String payload) {
    return Envelope.newBuilder()
        .setTarget(target.toProto())
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("example/payload")
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8(payload)))
        .build();
  }

  private static List<String> payloads(ToFunction request) {
    List<String> out = new ArrayList<>();
    for (ToFunction.Invocation i : request.getInvocation().getInvocationsList()) {
      out.add(i.getArgument().getValue().toStringUtf8());
    }
    return out;
  }

  private static <T extends Action> List<T> only(List<Action> actions, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Action a : actions) {
      if (type.isInstance(a)) {
        out.add(type.cast(a));
      }
    }
    return out;
  }

  private static Action.Invoke invoke(List<Action> actions) {
    List<Action.Invoke> invokes = only(actions, Action.Invoke.class);
    assertThat(invokes).hasSize(1);
    return invokes.get(0);
  }

  private static FromFunction result(InvocationResponse.Builder response) {
    return FromFunction.newBuilder().setInvocationResult(response).build();
  }

  private static TypedValue intValue(int v) {
    return TypedValue.newBuilder()
        .setTypename(INT)
        .setHasValue(true)
        .setValue(ByteString.copyFrom(java.nio.ByteBuffer.allocate(4).putInt(v).array()))
        .build();
  }

  private static PersistedValueMutation modify(String name, TypedValue value) {
    return PersistedValueMutation.newBuilder()
        .setMutationType(MutationType.MODIFY)
        .setStateName(name)
        .setStateValue(value)
        .build();
  }

  private static PersistedValueSpec spec(String name, String typename) {
    return PersistedValueSpec.newBuilder().setStateName(name).setTypeTypename(typename).build();
  }

  private String idOnOtherPartition() {
    for (int i = 0; ; i++) {
      String id = "id-" + i;
      if (AddressPartitioner.partition(id, PARTITIONS) != partition) {
        return id;
      }
    }
  }

  private String otherIdOnSamePartition() {
    for (int i = 0; ; i++) {
      String id = "id-" + i;
      if (AddressPartitioner.partition(id, PARTITIONS) == partition && !id.equals(localId)) {
        return id;
      }
    }
  }

  private List<Action> ok(Action.Invoke call, InvocationResponse.Builder response) {
    return dispatcher.onResponse(
        CallOutcome.success(call.target(), call.requestId(), result(response), 1));
  }

  // --- the stores' own contract (what the scenarios rely on but rarely reach) ------------------

  private static MailboxHeader header(long head, long next) {
    return MailboxHeader.newBuilder().setHeadSeq(head).setNextSeq(next).build();
  }

  private static PendingTimer timer(long due, long seq, String payload) {
    return PendingTimer.newBuilder()
        .setDueMs(due)
        .setSeq(seq)
        .setEnvelope(message(addr(PRINTER, "t"), payload))
        .build();
  }

  @Test
  void shouldPageThroughEveryNonEmptyMailboxExactlyOnce() {
    List<Address> addresses = new ArrayList<>();
    for (String id : List.of("a", "ab", "b", "\u00fc", "x".repeat(200), "a/b")) {
      addresses.add(addr(COUNTER, id));
      addresses.add(addr(PRINTER, id));
    }
    addresses.add(addr(new FunctionType("other", "counter"), "a"));
    for (Address a : addresses) {
      stores.putHeader(a, header(0, 1));
      stores.putEntry(a, 0, message(a, "m"));
    }
    stores.deleteHeader(addresses.get(3));
    stores = durable.open();

    List<Address> paged = new ArrayList<>();
    Address cursor = null;
    List<Address> page;
    do {
      page = stores.mailboxes(cursor, 4);
      assertThat(page.size()).isLessThanOrEqualTo(4);
      paged.addAll(page);
      cursor = page.isEmpty() ? null : page.get(page.size() - 1);
    } while (page.size() == 4);
    List<Address> expected = new ArrayList<>(addresses);
    expected.remove(3);
    assertThat(paged).containsExactlyInAnyOrderElementsOf(expected).doesNotHaveDuplicates();
    assertThat(stores.header(addresses.get(12))).isEqualTo(header(0, 1));
    assertThat(stores.entry(addresses.get(3), 0)).as("entries are not headers").isNotNull();
    assertThat(durable.entries()).isEqualTo(addresses.size());
  }

  @Test
  void shouldKeepTimersInDueTimeThenSequenceOrderWithACountThatSurvivesAReopen() {
    long t = now.get();
    List<PendingTimer> timers =
        List.of(
            timer(t + 300, stores.nextTimerSeq(), "c"),
            timer(t + 100, stores.nextTimerSeq(), "a1"),
            timer(t + 100, stores.nextTimerSeq(), "a2"),
            timer(t + 200, stores.nextTimerSeq(), "b"),
            timer(t + 50, stores.nextTimerSeq(), "gone"));
    timers.forEach(stores::putTimer);
    stores.deleteTimer(timers.get(4));
    stores.deleteTimer(timers.get(4)); // deleting twice changes nothing
    assertThat(stores.earliestTimerDue()).isEqualTo(t + 100);

    stores = durable.open();
    assertThat(stores.timerCount()).isEqualTo(4);
    assertThat(durable.timers()).isEqualTo(4);
    assertThat(stores.earliestTimerDue()).isEqualTo(t + 100);
    assertThat(stores.dueTimers(t + 99, 10)).isEmpty();
    assertThat(stores.dueTimers(t + 200, 10))
        .extracting(p -> p.getEnvelope().getArgument().getValue().toStringUtf8())
        .containsExactly("a1", "a2", "b");
    assertThat(stores.dueTimers(t + 1000, 2)).containsExactly(timers.get(1), timers.get(2));
    assertThat(stores.nextTimerSeq())
        .as("sequence numbers keep increasing after a reopen")
        .isGreaterThan(timers.get(4).getSeq());

    stores.deleteTimer(timers.get(1));
    stores.deleteTimer(timers.get(2));
    assertThat(stores.earliestTimerDue()).isEqualTo(t + 200);
    assertThat(stores.timerCount()).isEqualTo(2);
  }

  @Test
  void shouldScopeTimerTokensToTheirSender() {
    Address alice = addr(COUNTER, "alice");
    Address bob = addr(COUNTER, "bob");
    PendingTimer timer = timer(now.get() + 10, stores.nextTimerSeq(), "p");
    stores.putTimerToken(alice, "tok", timer);
    stores = durable.open();
    assertThat(stores.timerByToken(alice, "tok")).isEqualTo(timer);
    assertThat(stores.timerByToken(bob, "tok")).isNull();
    assertThat(stores.timerByToken(alice, "to")).isNull();
    stores.deleteTimerToken(alice, "tok");
    assertThat(stores.timerByToken(alice, "tok")).isNull();
    assertThat(durable.tokens()).isZero();
  }

  // --- batching --------------------------------------------------------------------------------

  @Test
  void shouldSendFirstMessageAtOnceAndQueueOthersWhileInFlight() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m1")));
    assertThat(payloads(first.request())).containsExactly("m1");

    assertThat(dispatcher.onMessage(message(alice, "m2"))).isEmpty();
    assertThat(dispatcher.onMessage(message(alice, "m3"))).isEmpty();

    Action.Invoke second = invoke(ok(first, InvocationResponse.newBuilder()));
    assertThat(payloads(second.request())).containsExactly("m2", "m3");
    assertThat(ok(second, InvocationResponse.newBuilder())).isEmpty();
    assertNoMailboxes();
    assertThat(durable.entries()).isZero();
  }

  @Test
  void shouldCapBatchesAtTheMaximumBatchSizeAndKeepFifoOrder() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m0")));
    for (int i = 1; i <= 5; i++) {
      dispatcher.onMessage(message(alice, "m" + i));
    }
    Action.Invoke second = invoke(ok(first, InvocationResponse.newBuilder()));
    assertThat(payloads(second.request())).containsExactly("m1", "m2", "m3");
    Action.Invoke third = invoke(ok(second, InvocationResponse.newBuilder()));
    assertThat(payloads(third.request())).containsExactly("m4", "m5");
  }

  @Test
  void shouldIgnoreAnswersToRequestsNoLongerInFlight() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m1")));
    dispatcher.onMessage(message(alice, "m2"));
    Action.Invoke second = invoke(ok(first, InvocationResponse.newBuilder()));
    // A duplicate of the first answer must not complete the second batch.
    assertThat(
            ok(first, InvocationResponse.newBuilder().addStateMutations(modify("x", intValue(1)))))
        .isEmpty();
    assertThat(
            stores.entry(
                alice, second.request().getInvocation().getInvocationsCount() == 1 ? 1 : 1))
        .isNotNull();
  }

  // --- state negotiation -----------------------------------------------------------------------

  @Test
  void shouldRetryBatchWithStatesWhenFunctionAsksForMissingState() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m1")));
    assertThat(first.request().getInvocation().getStateList()).isEmpty();

    FromFunction incomplete =
        FromFunction.newBuilder()
            .setIncompleteInvocationContext(
                IncompleteInvocationContext.newBuilder().addMissingValues(spec("count", INT)))
            .build();
    Action.Invoke retry =
        invoke(dispatcher.onResponse(CallOutcome.success(alice, first.requestId(), incomplete, 1)));
    assertThat(payloads(retry.request())).containsExactly("m1");
    assertThat(retry.request().getInvocation().getStateList())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getStateName()).isEqualTo("count");
              assertThat(s.hasStateValue()).isFalse();
            });

    assertThat(
            ok(
                retry,
                InvocationResponse.newBuilder().addStateMutations(modify("count", intValue(7)))))
        .isEmpty();
    Action.Invoke next = invoke(dispatcher.onMessage(message(alice, "m2")));
    assertThat(next.request().getInvocation().getState(0).getStateValue()).isEqualTo(intValue(7));
  }

  @Test
  void shouldNegotiateStateForSeveralAddressesOfOneTypeConcurrently() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(COUNTER, otherIdOnSamePartition());
    Action.Invoke a = invoke(dispatcher.onMessage(message(alice, "a1")));
    Action.Invoke b = invoke(dispatcher.onMessage(message(bob, "b1")));
    FromFunction incomplete =
        FromFunction.newBuilder()
            .setIncompleteInvocationContext(
                IncompleteInvocationContext.newBuilder().addMissingValues(spec("count", INT)))
            .build();
    Action.Invoke aRetry =
        invoke(dispatcher.onResponse(CallOutcome.success(alice, a.requestId(), incomplete, 1)));
    // bob's request went out before the spec was known; its answer asks for it too.
    Action.Invoke bRetry =
        invoke(dispatcher.onResponse(CallOutcome.success(bob, b.requestId(), incomplete, 1)));
    assertThat(aRetry.request().getInvocation().getStateCount()).isEqualTo(1);
    assertThat(bRetry.request().getInvocation().getStateCount()).isEqualTo(1);
  }

  @Test
  void shouldDeadLetterBatchWhenFunctionKeepsAskingForTheSameState() {
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("count", INT)));
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m1")));
    FromFunction incomplete =
        FromFunction.newBuilder()
            .setIncompleteInvocationContext(
                IncompleteInvocationContext.newBuilder().addMissingValues(spec("count", INT)))
            .build();
    List<Action> actions =
        dispatcher.onResponse(CallOutcome.success(alice, first.requestId(), incomplete, 1));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> assertThat(d.reason()).isEqualTo(DeadLetterReason.STATE_NEGOTIATION_FAILED));
    assertNoMailboxes();
  }

  // --- applying responses -----------------------------------------------------------------------

  @Test
  void shouldApplyModifyAndDeleteMutations() {
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("a", INT), spec("b", INT)));
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    ok(
        c1,
        InvocationResponse.newBuilder()
            .addStateMutations(modify("a", intValue(1)))
            .addStateMutations(modify("b", intValue(2))));
    assertThat(stores.state(alice).getValuesList()).hasSize(2);

    Action.Invoke c2 = invoke(dispatcher.onMessage(message(alice, "m2")));
    ok(
        c2,
        InvocationResponse.newBuilder()
            .addStateMutations(
                PersistedValueMutation.newBuilder()
                    .setMutationType(MutationType.DELETE)
                    .setStateName("a")));
    assertThat(stores.state(alice).getValuesList())
        .singleElement()
        .satisfies(v -> assertThat(v.getName()).isEqualTo("b"));

    Action.Invoke c3 = invoke(dispatcher.onMessage(message(alice, "m3")));
    assertThat(c3.request().getInvocation().getStateList())
        .extracting(ToFunction.PersistedValue::hasStateValue)
        .containsExactly(false, true);
  }

  @Test
  void shouldApplyNothingWhenAResponseChangesAnUndeclaredState() {
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("count", INT)));
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addStateMutations(modify("count", intValue(1)))
                .addStateMutations(modify("ghost", intValue(1)))
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(addr(PRINTER, localId).toProto())));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.UNDECLARED_STATE_MUTATION);
              assertThat(d.envelopes()).hasSize(1);
            });
    assertThat(only(actions, Action.Invoke.class)).isEmpty();
    assertThat(stores.state(alice)).isNull();
  }

  @Test
  void shouldRejectAStateWrittenWithAnotherType() {
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("count", INT)));
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    TypedValue wrong = intValue(1).toBuilder().setTypename("io.statefun.types/long").build();
    List<Action> actions =
        ok(c1, InvocationResponse.newBuilder().addStateMutations(modify("count", wrong)));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(d -> assertThat(d.reason()).isEqualTo(DeadLetterReason.STATE_TYPE_MISMATCH));
  }

  @Test
  void shouldDeliverMessagesToSamePartitionLocallyAndOthersThroughLoopback() {
    Address alice = addr(COUNTER, localId);
    Address local = addr(PRINTER, otherIdOnSamePartition());
    Address remote = addr(PRINTER, idOnOtherPartition());
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(local.toProto())
                        .setArgument(intValue(1)))
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(remote.toProto())
                        .setArgument(intValue(2))));

    Action.Invoke localCall = invoke(actions);
    assertThat(localCall.target()).isEqualTo(local);
    assertThat(localCall.request().getInvocation().getInvocations(0).getCaller())
        .isEqualTo(alice.toProto());

    assertThat(only(actions, Action.SendToPartition.class))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.partition())
                  .isEqualTo(AddressPartitioner.partition(remote.id(), PARTITIONS));
              assertThat(s.envelope().getTarget()).isEqualTo(remote.toProto());
              assertThat(s.envelope().getCaller()).isEqualTo(alice.toProto());
            });
  }

  @Test
  void shouldRerouteIngressMessagesForAddressesOfAnotherPartition() {
    Address remote = addr(COUNTER, idOnOtherPartition());
    List<Action> actions = dispatcher.onMessage(message(remote, "m1"));
    assertThat(actions).singleElement().isInstanceOf(Action.SendToPartition.class);
    assertNoMailboxes();
  }

  @Test
  void shouldDeliverAMessageToSelfAfterTheQueuedOnes() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    dispatcher.onMessage(message(alice, "m2"));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(alice.toProto())
                        .setArgument(message(alice, "self").getArgument())));
    assertThat(payloads(invoke(actions).request())).containsExactly("m2", "self");
  }

  /**
   * A message to the declared Kafka egress {@code example/out}: key "k", value "v" for {@code
   * topic}.
   */
  static EgressMessage kafkaEgress(String topic) {
    KafkaProducerRecord record =
        KafkaProducerRecord.newBuilder()
            .setTopic(topic)
            .setKey("k")
            .setValueBytes(ByteString.copyFromUtf8("v"))
            .build();
    return EgressMessage.newBuilder()
        .setEgressNamespace("example")
        .setEgressType("out")
        .setArgument(
            TypedValue.newBuilder()
                .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                .setHasValue(true)
                .setValue(record.toByteString()))
        .build();
  }

  @Test
  void shouldEmitKafkaEgressRecords() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(c1, InvocationResponse.newBuilder().addOutgoingEgresses(kafkaEgress("out-topic")));
    assertThat(only(actions, Action.EmitEgress.class))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.topic()).isEqualTo("out-topic");
              assertThat(new String(e.key())).isEqualTo("k");
              assertThat(new String(e.value())).isEqualTo("v");
            });
  }

  @Test
  void shouldDeadLetterTheBatchWhenItSendsToAnUndeclaredEgress() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(
                    EgressMessage.newBuilder()
                        .setEgressNamespace("example")
                        .setEgressType("nope")));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(d -> assertThat(d.reason()).isEqualTo(DeadLetterReason.UNKNOWN_EGRESS));
    assertThat(only(actions, Action.EmitEgress.class)).isEmpty();
  }

  @Test
  void shouldDeadLetterTheBatchWhenItsEgressRecordNamesAMissingTopic() {
    specs.register(COUNTER, List.of(spec("count", INT)));
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addStateMutations(
                    PersistedValueMutation.newBuilder()
                        .setStateName("count")
                        .setMutationType(PersistedValueMutation.MutationType.DELETE))
                .addOutgoingEgresses(kafkaEgress("missing-topic")));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.EGRESS_TOPIC_MISSING);
              assertThat(d.detail()).contains("missing-topic");
            });
    assertThat(only(actions, Action.EmitEgress.class)).isEmpty();
  }

  @Test
  void shouldDeadLetterMessagesForUnknownFunctionTypes() {
    Address ghost = addr(new FunctionType("nowhere", "ghost"), localId);
    assertThat(dispatcher.onMessage(message(ghost, "m1")))
        .singleElement()
        .satisfies(
            a ->
                assertThat(((Action.DeadLetter) a).reason())
                    .isEqualTo(DeadLetterReason.UNKNOWN_FUNCTION_TYPE));
  }

  // --- origin and record sizes -----------------------------------------------------------------

  private static final Origin ORIGIN =
      Origin.newBuilder()
          .setTopic("orders")
          .setPartition(2)
          .setOffset(42)
          .setTimestampMs(7)
          .build();

  @Test
  void shouldGiveTheMessagesAFunctionSendsTheOriginOfTheIngressRecordBehindItsBatch() {
    Address alice = addr(COUNTER, localId);
    Address ghost = addr(new FunctionType("nowhere", "ghost"), localId);
    Address remote = addr(PRINTER, idOnOtherPartition());
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    Action.Invoke c1 =
        invoke(dispatcher.onMessage(message(alice, "m1").toBuilder().setOrigin(ORIGIN).build()));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(ghost.toProto())
                        .setArgument(intValue(1)))
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(remote.toProto())
                        .setArgument(intValue(2)))
                .addDelayedInvocations(
                    DelayedInvocation.newBuilder()
                        .setDelayInMs(10)
                        .setTarget(bob.toProto())
                        .setArgument(intValue(3))));

    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.UNKNOWN_FUNCTION_TYPE);
              assertThat(d.envelopes())
                  .singleElement()
                  .satisfies(e -> assertThat(e.getOrigin()).isEqualTo(ORIGIN));
            });
    assertThat(only(actions, Action.SendToPartition.class))
        .singleElement()
        .satisfies(send -> assertThat(send.envelope().getOrigin()).isEqualTo(ORIGIN));
    now.addAndGet(10);
    dispatcher.onTimers();
    assertThat(stores.entry(bob, 0).getOrigin()).as("the fired delayed message").isEqualTo(ORIGIN);
  }

  @Test
  void shouldSendMessagesWithoutAnOriginWhenNoIngressRecordCausedTheBatch() {
    Address alice = addr(COUNTER, localId);
    Address remote = addr(PRINTER, idOnOtherPartition());
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        ok(
            c1,
            InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(remote.toProto())
                        .setArgument(intValue(2))));
    assertThat(only(actions, Action.SendToPartition.class))
        .singleElement()
        .satisfies(send -> assertThat(send.envelope().hasOrigin()).isFalse());
  }

  private void limitRecordsTo(long maxRecordBytes) {
    restartWith(
        new Dispatcher.Limits(
            3, 3, 100, 1000, Integer.MAX_VALUE, 100_000, Long.MAX_VALUE, maxRecordBytes),
        InFlightLimiter.UNLIMITED);
  }

  private static TypedValue bytes(int size) {
    return TypedValue.newBuilder()
        .setTypename(INT)
        .setHasValue(true)
        .setValue(ByteString.copyFrom(new byte[size]))
        .build();
  }

  @Test
  void shouldDeadLetterAMessageThatWouldBeALargerRecordThanTheLimit() {
    limitRecordsTo(1000);
    Address alice = addr(COUNTER, localId);
    List<Action> actions = dispatcher.onMessage(message(alice, "x".repeat(1000)));
    assertThat(actions)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(((Action.DeadLetter) a).reason())
                  .isEqualTo(DeadLetterReason.RECORD_TOO_LARGE);
              assertThat(((Action.DeadLetter) a).detail()).contains("1000 bytes");
            });
    assertThat(stores.header(alice)).isNull();
    assertThat(durable.entries()).isZero();
    assertThat(invoke(dispatcher.onMessage(message(alice, "x".repeat(800)))).target())
        .isEqualTo(alice);
  }

  @Test
  void shouldRejectAResponseWhoseStateWouldNotFitARecord() {
    limitRecordsTo(1000);
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("a", INT), spec("b", INT)));
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    ok(c1, InvocationResponse.newBuilder().addStateMutations(modify("a", bytes(600))));
    assertThat(stores.state(alice).getValuesList()).hasSize(1);

    // 600 bytes more would fit alone, not next to the 600 already stored
    Action.Invoke c2 = invoke(dispatcher.onMessage(message(alice, "m2")));
    List<Action> actions =
        ok(
            c2,
            InvocationResponse.newBuilder()
                .addStateMutations(modify("b", bytes(600)))
                .addOutgoingEgresses(kafkaEgress("out-topic")));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.OUTPUT_TOO_LARGE);
              assertThat(d.detail()).contains("the state of " + alice, "1000 bytes");
            });
    assertThat(only(actions, Action.EmitEgress.class))
        .as("nothing of the response applied")
        .isEmpty();
    assertThat(stores.state(alice).getValuesList())
        .singleElement()
        .satisfies(v -> assertThat(v.getName()).isEqualTo("a"));

    // replacing the value instead fits
    Action.Invoke c3 = invoke(dispatcher.onMessage(message(alice, "m3")));
    assertThat(
            only(
                ok(c3, InvocationResponse.newBuilder().addStateMutations(modify("a", bytes(800)))),
                Action.DeadLetter.class))
        .isEmpty();
    assertThat(stores.state(alice).getValues(0).getValue().size()).isEqualTo(800);
  }

  @Test
  void shouldRejectAResponseWhoseMessageDelayedMessageOrEgressRecordWouldNotFitARecord() {
    limitRecordsTo(1000);
    Address alice = addr(COUNTER, localId);
    Address remote = addr(PRINTER, idOnOtherPartition());
    List<InvocationResponse.Builder> tooLarge =
        List.of(
            InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(remote.toProto())
                        .setArgument(bytes(1000))),
            InvocationResponse.newBuilder()
                .addDelayedInvocations(
                    DelayedInvocation.newBuilder()
                        .setDelayInMs(5)
                        .setTarget(remote.toProto())
                        .setArgument(bytes(950))),
            InvocationResponse.newBuilder()
                .addOutgoingEgresses(
                    kafkaEgress("out-topic").toBuilder()
                        .setArgument(
                            TypedValue.newBuilder()
                                .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                                .setHasValue(true)
                                .setValue(
                                    KafkaProducerRecord.newBuilder()
                                        .setTopic("out-topic")
                                        .setKey("k")
                                        .setValueBytes(ByteString.copyFrom(new byte[1000]))
                                        .build()
                                        .toByteString()))));
    List<String> what =
        List.of(
            "a message to example/printer/",
            "a delayed message to example/printer/",
            "an egress record to example/out");
    for (int i = 0; i < tooLarge.size(); i++) {
      Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "m" + i)));
      List<Action> actions = ok(call, tooLarge.get(i));
      String expected = what.get(i);
      assertThat(only(actions, Action.DeadLetter.class))
          .as(expected)
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.reason()).isEqualTo(DeadLetterReason.OUTPUT_TOO_LARGE);
                assertThat(d.detail()).contains(expected);
              });
      assertThat(only(actions, Action.SendToPartition.class)).isEmpty();
      assertThat(only(actions, Action.EmitEgress.class)).isEmpty();
    }
    assertNoTimers();
  }

  @Test
  void shouldDeadLetterAFailedBatchAndContinueWithTheNextOne() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    dispatcher.onMessage(message(alice, "m2"));
    List<Action> actions =
        dispatcher.onResponse(
            CallOutcome.failure(alice, c1.requestId(), new RuntimeException("HTTP 500"), 4));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.FUNCTION_CALL_FAILED);
              assertThat(d.attempts()).isEqualTo(4);
              assertThat(d.detail()).contains("HTTP 500");
              assertThat(d.envelopes())
                  .extracting(e -> e.getArgument().getValue().toStringUtf8())
                  .containsExactly("m1");
            });
    assertThat(payloads(invoke(actions).request())).containsExactly("m2");
  }

  // --- recovery ----------------------------------------------------------------------------------

  @Test
  void shouldResendTheInFlightBatchAfterARestart() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke c1 = invoke(dispatcher.onMessage(message(alice, "m1")));
    dispatcher.onMessage(message(alice, "m2"));

    restart();
    Action.Invoke resent = invoke(dispatcher.onRecover());
    assertThat(payloads(resent.request())).containsExactly("m1", "m2");
    // The old request's answer is not applied by the new dispatcher.
    assertThat(ok(c1, InvocationResponse.newBuilder())).isEmpty();
    assertThat(durable.entries()).isEqualTo(2);
  }

  // --- timers ------------------------------------------------------------------------------------

  private List<Action> sendDelayed(
      Address sender, Address target, long delayMs, String token, String payload) {
    Action.Invoke call = invoke(dispatcher.onMessage(message(sender, "tick")));
    DelayedInvocation.Builder delayed =
        DelayedInvocation.newBuilder()
            .setDelayInMs(delayMs)
            .setTarget(target.toProto())
            .setArgument(message(target, payload).getArgument());
    if (token != null) {
      delayed.setCancellationToken(token);
    }
    return ok(call, InvocationResponse.newBuilder().addDelayedInvocations(delayed));
  }

  @Test
  void shouldFireDelayedMessagesWhenDueWithTheSenderAsCaller() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 3000, null, "later");
    now.addAndGet(2999);
    assertThat(dispatcher.onTimers()).isEmpty();
    now.addAndGet(1);
    Action.Invoke fired = invoke(dispatcher.onTimers());
    assertThat(fired.target()).isEqualTo(bob);
    assertThat(payloads(fired.request())).containsExactly("later");
    assertThat(fired.request().getInvocation().getInvocations(0).getCaller())
        .isEqualTo(alice.toProto());
    assertNoTimers();
  }

  @Test
  void shouldFireTimersWithTheSameDueTimeInSchedulingOrder() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "tick")));
    InvocationResponse.Builder r = InvocationResponse.newBuilder();
    for (int i = 0; i < 5; i++) {
      r.addDelayedInvocations(
          DelayedInvocation.newBuilder()
              .setDelayInMs(100)
              .setTarget(bob.toProto())
              .setArgument(message(bob, "d" + i).getArgument()));
    }
    ok(call, r);
    now.addAndGet(100);
    Action.Invoke first = invoke(dispatcher.onTimers());
    List<String> delivered = new ArrayList<>(payloads(first.request()));
    Action.Invoke rest = invoke(ok(first, InvocationResponse.newBuilder()));
    delivered.addAll(payloads(rest.request()));
    Action.Invoke last = invoke(ok(rest, InvocationResponse.newBuilder()));
    delivered.addAll(payloads(last.request()));
    assertThat(delivered).containsExactly("d0", "d1", "d2", "d3", "d4");
  }

  @Test
  void shouldNeverDeliverACancelledDelayedMessage() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 1000, "tok", "never");
    Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "cancel")));
    ok(
        call,
        InvocationResponse.newBuilder()
            .addDelayedInvocations(
                DelayedInvocation.newBuilder()
                    .setIsCancellationRequest(true)
                    .setCancellationToken("tok")));
    now.addAndGet(5000);
    assertThat(dispatcher.onTimers()).isEmpty();
    assertNoTimers();
    assertThat(durable.tokens()).isZero();
  }

  @Test
  void shouldTreatCancellationOfUnknownOrFiredTokensAsNoOp() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 10, "tok", "fires");
    now.addAndGet(10);
    Action.Invoke fired = invoke(dispatcher.onTimers());
    ok(fired, InvocationResponse.newBuilder());
    Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "cancel")));
    List<Action> actions =
        ok(
            call,
            InvocationResponse.newBuilder()
                .addDelayedInvocations(
                    DelayedInvocation.newBuilder()
                        .setIsCancellationRequest(true)
                        .setCancellationToken("tok"))
                .addDelayedInvocations(
                    DelayedInvocation.newBuilder()
                        .setIsCancellationRequest(true)
                        .setCancellationToken("unknown")));
    assertThat(actions).isEmpty();
  }

  @Test
  void shouldDeadLetterADelayedMessageWhoseTokenIsAlreadyPending() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 1000, "tok", "first");
    List<Action> actions = sendDelayed(alice, bob, 1000, "tok", "second");
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.INVALID_DELAYED_MESSAGE);
              assertThat(d.detail()).contains("tok");
            });
    now.addAndGet(1000);
    assertThat(payloads(invoke(dispatcher.onTimers()).request())).containsExactly("first");
  }

  @Test
  void shouldKeepTimersAcrossARestart() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 500, null, "survives");
    restart();
    dispatcher.onRecover();
    now.addAndGet(500);
    assertThat(payloads(invoke(dispatcher.onTimers()).request())).containsExactly("survives");
  }

  // --- TTL ---------------------------------------------------------------------------------------

  private void registerTtl(String name, ExpirationSpec.ExpireMode mode, long ttl) {
    specs.register(
        COUNTER,
        List.of(
            spec(name, INT).toBuilder()
                .setExpirationSpec(
                    ExpirationSpec.newBuilder().setMode(mode).setExpireAfterMillis(ttl))
                .build()));
  }

  @Test
  void shouldExpireStateAfterWriteAndReclaimIt() {
    Address alice = addr(COUNTER, localId);
    registerTtl("seen", ExpirationSpec.ExpireMode.AFTER_WRITE, 1000);
    ok(
        invoke(dispatcher.onMessage(message(alice, "m1"))),
        InvocationResponse.newBuilder().addStateMutations(modify("seen", intValue(1))));
    now.addAndGet(600);
    Action.Invoke c2 = invoke(dispatcher.onMessage(message(alice, "m2")));
    assertThat(c2.request().getInvocation().getState(0).hasStateValue()).isTrue();
    ok(c2, InvocationResponse.newBuilder()); // reading does not extend AFTER_WRITE
    now.addAndGet(400);
    Action.Invoke c3 = invoke(dispatcher.onMessage(message(alice, "m3")));
    assertThat(c3.request().getInvocation().getState(0).hasStateValue()).isFalse();
    ok(c3, InvocationResponse.newBuilder());
    dispatcher.onTimers();
    assertThat(stores.state(alice)).isNull();
  }

  @Test
  void shouldExpireStateAfterInvokeOnlyWhenTheAddressIsIdle() {
    Address alice = addr(COUNTER, localId);
    registerTtl("session", ExpirationSpec.ExpireMode.AFTER_INVOKE, 1000);
    ok(
        invoke(dispatcher.onMessage(message(alice, "m1"))),
        InvocationResponse.newBuilder().addStateMutations(modify("session", intValue(1))));
    for (int i = 0; i < 3; i++) {
      now.addAndGet(800);
      Action.Invoke c = invoke(dispatcher.onMessage(message(alice, "keepalive")));
      assertThat(c.request().getInvocation().getState(0).hasStateValue()).isTrue();
      ok(c, InvocationResponse.newBuilder());
      assertThat(dispatcher.onTimers()).isEmpty();
    }
    now.addAndGet(1000);
    dispatcher.onTimers();
    assertThat(stores.state(alice)).isNull();
  }

  @Test
  void shouldIgnoreAnExpiryCheckThatIsNotTheRecordedOne() {
    // A state as older versions wrote it: the check is recorded by due time only, and an earlier
    // check of the same address is still pending (older versions did not delete superseded ones).
    Address alice = addr(COUNTER, localId);
    registerTtl("seen", ExpirationSpec.ExpireMode.AFTER_WRITE, 1000);
    long expiresAt = now.get() + 1000;
    StoredState state =
        StoredState.newBuilder()
            .addValues(
                StoredValue.newBuilder()
                    .setName("seen")
                    .setTypename(INT)
                    .setValue(intValue(7).getValue())
                    .setExpiresAtMs(expiresAt))
            .setExpiryCheckMs(expiresAt)
            .build();
    stores.putState(alice, state);
    stores.putTimer(
        PendingTimer.newBuilder()
            .setDueMs(expiresAt - 500)
            .setSeq(stores.nextTimerSeq())
            .setExpiryCheck(alice.toProto())
            .build());
    stores.putTimer(
        PendingTimer.newBuilder()
            .setDueMs(expiresAt)
            .setSeq(stores.nextTimerSeq())
            .setExpiryCheck(alice.toProto())
            .build());

    now.set(expiresAt - 500);
    dispatcher.onTimers();
    assertThat(stores.state(alice)).as("a superseded check writes nothing").isEqualTo(state);
    assertThat(stores.timerCount()).as("and schedules nothing").isEqualTo(1);

    now.set(expiresAt);
    dispatcher.onTimers();
    assertThat(stores.state(alice)).isNull();
    assertThat(stores.timerCount()).isZero();
  }

  @Test
  void shouldDeleteThePendingExpiryCheckWhenTheLastValueWithATtlIsDeleted() {
    Address alice = addr(COUNTER, localId);
    registerTtl("seen", ExpirationSpec.ExpireMode.AFTER_WRITE, 1000);
    ok(
        invoke(dispatcher.onMessage(message(alice, "m1"))),
        InvocationResponse.newBuilder().addStateMutations(modify("seen", intValue(1))));
    assertThat(stores.timerCount()).isEqualTo(1);
    ok(
        invoke(dispatcher.onMessage(message(alice, "m2"))),
        InvocationResponse.newBuilder()
            .addStateMutations(
                PersistedValueMutation.newBuilder()
                    .setMutationType(MutationType.DELETE)
                    .setStateName("seen")));
    assertThat(stores.state(alice)).isNull();
    assertThat(stores.timerCount()).isZero();
  }

  // --- limits ------------------------------------------------------------------------------------

  @Test
  void shouldHoldBatchesBeyondTheTaskInFlightLimitInTheMailboxAndSendThemInArrivalOrder() {
    restartWith(limits(3, 2, 100, Long.MAX_VALUE), InFlightLimiter.UNLIMITED);
    List<String> ids = localIds(4);
    List<Action.Invoke> sent = new ArrayList<>();
    for (String id : ids) {
      sent.addAll(
          only(dispatcher.onMessage(message(addr(COUNTER, id), id + "-1")), Action.Invoke.class));
    }
    assertThat(sent).extracting(i -> i.target().id()).containsExactly(ids.get(0), ids.get(1));
    assertThat(dispatcher.waitingAddresses()).isEqualTo(2);
    // A waiting address keeps collecting messages in its mailbox; they go out in one batch.
    dispatcher.onMessage(message(addr(COUNTER, ids.get(2)), ids.get(2) + "-2"));

    Action.Invoke third = invoke(ok(sent.get(0), InvocationResponse.newBuilder()));
    assertThat(third.target().id()).isEqualTo(ids.get(2));
    assertThat(payloads(third.request())).containsExactly(ids.get(2) + "-1", ids.get(2) + "-2");
    Action.Invoke fourth = invoke(ok(sent.get(1), InvocationResponse.newBuilder()));
    assertThat(fourth.target().id()).isEqualTo(ids.get(3));
    assertThat(dispatcher.inFlightCount()).isEqualTo(2);
    assertThat(dispatcher.waitingAddresses()).isZero();
  }

  @Test
  void shouldLetWaitingAddressesGoBeforeTheNextBatchOfTheAddressThatFreedTheSlot() {
    restartWith(limits(3, 1, 100, Long.MAX_VALUE), InFlightLimiter.UNLIMITED);
    List<String> ids = localIds(2);
    Address a = addr(COUNTER, ids.get(0));
    Address b = addr(COUNTER, ids.get(1));
    Action.Invoke a1 = invoke(dispatcher.onMessage(message(a, "a1")));
    assertThat(dispatcher.onMessage(message(b, "b1"))).isEmpty();
    assertThat(dispatcher.onMessage(message(a, "a2"))).isEmpty();
    Action.Invoke next = invoke(ok(a1, InvocationResponse.newBuilder()));
    assertThat(next.target()).isEqualTo(b);
    assertThat(payloads(invoke(ok(next, InvocationResponse.newBuilder())).request()))
        .containsExactly("a2");
  }

  @Test
  void shouldWaitForAnEndpointSlotAndSendWhenWoken() {
    CountingLimiter endpoint = new CountingLimiter(2);
    endpoint.used = 1; // held by another task of the instance
    restartWith(limits(3, 100, 100, Long.MAX_VALUE), endpoint);
    List<String> ids = localIds(2);
    Action.Invoke first = invoke(dispatcher.onMessage(message(addr(COUNTER, ids.get(0)), "x")));
    assertThat(dispatcher.onMessage(message(addr(COUNTER, ids.get(1)), "y"))).isEmpty();
    assertThat(endpoint.waiters).contains(partition);
    endpoint.release(COUNTER); // the other task's call ended; the limiter wakes us
    Action.Invoke second = invoke(dispatcher.onWake());
    assertThat(second.target().id()).isEqualTo(ids.get(1));
    ok(first, InvocationResponse.newBuilder());
    ok(second, InvocationResponse.newBuilder());
    assertThat(endpoint.used).isZero();
  }

  @Test
  void shouldGiveBackEveryEndpointSlotWhenTheTaskCloses() {
    CountingLimiter endpoint = new CountingLimiter(10);
    restartWith(limits(3, 100, 100, Long.MAX_VALUE), endpoint);
    for (String id : localIds(3)) {
      dispatcher.onMessage(message(addr(COUNTER, id), "m"));
    }
    assertThat(endpoint.used).isEqualTo(3);
    dispatcher.close();
    assertThat(endpoint.used).isZero();
  }

  @Test
  void shouldFindAddressesAgainOnDiskWhenTheWaitingQueueIsFull() {
    restartWith(limits(3, 1, 1, Long.MAX_VALUE), InFlightLimiter.UNLIMITED);
    List<String> ids = localIds(5);
    List<Action.Invoke> sent = new ArrayList<>();
    for (String id : ids) {
      sent.addAll(only(dispatcher.onMessage(message(addr(COUNTER, id), id)), Action.Invoke.class));
    }
    assertThat(sent).hasSize(1);
    assertThat(dispatcher.waitingAddresses()).isEqualTo(1); // the others are only on disk
    java.util.Set<String> served = new java.util.HashSet<>();
    Action.Invoke current = sent.get(0);
    for (int i = 0; i < 4; i++) {
      served.add(current.target().id());
      current = invoke(ok(current, InvocationResponse.newBuilder()));
    }
    served.add(current.target().id());
    assertThat(ok(current, InvocationResponse.newBuilder())).isEmpty();
    assertThat(served).containsExactlyInAnyOrderElementsOf(ids);
    assertNoMailboxes();
  }

  @Test
  void shouldResendOnlyAsManyBatchesAsTheLimitAllowsAfterARestart() {
    for (String id : localIds(3)) {
      dispatcher.onMessage(message(addr(COUNTER, id), id));
    }
    restartWith(limits(3, 2, 100, Long.MAX_VALUE), InFlightLimiter.UNLIMITED);
    List<Action.Invoke> resent = only(dispatcher.onRecover(), Action.Invoke.class);
    assertThat(resent).hasSize(2);
    Action.Invoke third = invoke(ok(resent.get(0), InvocationResponse.newBuilder()));
    assertThat(third.target()).isNotIn(resent.get(0).target(), resent.get(1).target());
  }

  @Test
  void shouldDeadLetterMessagesBeyondTheMailboxLimit() {
    restartWith(limits(3, 100, 100, 2), InFlightLimiter.UNLIMITED);
    Address alice = addr(COUNTER, localId);
    invoke(dispatcher.onMessage(message(alice, "m1")));
    assertThat(dispatcher.onMessage(message(alice, "m2"))).isEmpty();
    assertThat(only(dispatcher.onMessage(message(alice, "m3")), Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.MAILBOX_FULL);
              assertThat(d.envelopes())
                  .extracting(e -> e.getArgument().getValue().toStringUtf8())
                  .containsExactly("m3");
            });
  }

  @Test
  void shouldCapBatchesAtTheEndpointsMaxNumBatchRequests() {
    Address printer = addr(PRINTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(printer, "p0")));
    for (int i = 1; i <= 3; i++) {
      dispatcher.onMessage(message(printer, "p" + i));
    }
    assertThat(payloads(invoke(ok(first, InvocationResponse.newBuilder())).request()))
        .containsExactly("p1", "p2");
  }

  // --- failure classes
  // -----------------------------------------------------------------------------

  @Test
  void shouldSplitABatchWhosePayloadIsTooLargeAndDeadLetterOnlyTheMessageThatIsTooLargeAlone() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke first = invoke(dispatcher.onMessage(message(alice, "m0")));
    dispatcher.onMessage(message(alice, "m1"));
    dispatcher.onMessage(message(alice, "huge"));
    dispatcher.onMessage(message(alice, "m3"));
    Action.Invoke batch = invoke(ok(first, InvocationResponse.newBuilder()));
    assertThat(payloads(batch.request())).containsExactly("m1", "huge", "m3");
    RuntimeException tooLarge = new RuntimeException("request exceeds payload_max_bytes");

    Action.Invoke half =
        invoke(
            dispatcher.onResponse(
                CallOutcome.failure(
                    alice,
                    batch.requestId(),
                    tooLarge,
                    CallOutcome.FailureKind.PAYLOAD_TOO_LARGE,
                    1)));
    assertThat(payloads(half.request())).containsExactly("m1");
    Action.Invoke rest = invoke(ok(half, InvocationResponse.newBuilder()));
    assertThat(payloads(rest.request())).containsExactly("huge", "m3");
    Action.Invoke single =
        invoke(
            dispatcher.onResponse(
                CallOutcome.failure(
                    alice,
                    rest.requestId(),
                    tooLarge,
                    CallOutcome.FailureKind.PAYLOAD_TOO_LARGE,
                    1)));
    assertThat(payloads(single.request())).containsExactly("huge");
    List<Action> actions =
        dispatcher.onResponse(
            CallOutcome.failure(
                alice, single.requestId(), tooLarge, CallOutcome.FailureKind.PAYLOAD_TOO_LARGE, 1));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.PAYLOAD_TOO_LARGE);
              assertThat(d.errorClass()).isEqualTo(RuntimeException.class.getName());
            });
    assertThat(payloads(invoke(actions).request())).containsExactly("m3");
  }

  @Test
  void shouldDeadLetterAMalformedResponseWithItsOwnReason() {
    Address alice = addr(COUNTER, localId);
    Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "m1")));
    List<Action> actions =
        dispatcher.onResponse(
            CallOutcome.failure(
                alice,
                call.requestId(),
                new IllegalStateException("not a FromFunction"),
                CallOutcome.FailureKind.MALFORMED_RESPONSE,
                1));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(DeadLetterReason.MALFORMED_RESPONSE);
              assertThat(d.errorClass()).isEqualTo(IllegalStateException.class.getName());
            });
  }

  @Test
  void shouldApplyNothingWhenAResponseSendsToAnInvalidAddress() {
    Address alice = addr(COUNTER, localId);
    specs.register(COUNTER, List.of(spec("count", INT)));
    Action.Invoke call = invoke(dispatcher.onMessage(message(alice, "m1")));
    io.kstatefun.protocol.Address bad =
        io.kstatefun.protocol.Address.newBuilder().setNamespace("").setType("x").setId("1").build();
    List<Action> actions =
        ok(
            call,
            InvocationResponse.newBuilder()
                .addStateMutations(modify("count", intValue(1)))
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(bad)
                        .setArgument(message(alice, "p").getArgument())));
    assertThat(only(actions, Action.DeadLetter.class))
        .singleElement()
        .satisfies(d -> assertThat(d.reason()).isEqualTo(DeadLetterReason.INVALID_ADDRESS));
    assertThat(stores.state(alice)).isNull();
  }

  @Test
  void shouldDeadLetterAnEnvelopeWithAnInvalidTargetInsteadOfFailingTheTask() {
    Envelope bad =
        Envelope.newBuilder()
            .setTarget(
                io.kstatefun.protocol.Address.newBuilder()
                    .setNamespace("a/b")
                    .setType("x")
                    .setId("1"))
            .build();
    assertThat(dispatcher.onMessage(bad))
        .singleElement()
        .satisfies(
            a ->
                assertThat(((Action.DeadLetter) a).reason())
                    .isEqualTo(DeadLetterReason.INVALID_ADDRESS));
  }

  @Test
  void shouldReportPendingTimersForMetrics() {
    Address alice = addr(COUNTER, localId);
    Address bob = addr(PRINTER, otherIdOnSamePartition());
    sendDelayed(alice, bob, 1000, "t1", "one");
    sendDelayed(alice, bob, 2000, "t2", "two");
    assertThat(dispatcher.pendingTimers()).isEqualTo(2);
    now.addAndGet(1000);
    dispatcher.onTimers();
    assertThat(dispatcher.pendingTimers()).isEqualTo(1);
  }
}
