package io.kstatefun.runtime.internals.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.ApiReply;
import io.kstatefun.runtime.internals.proto.ApiRequest;
import io.kstatefun.runtime.internals.proto.ApiWaiter;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher's handling of the HTTP API: invocations recorded on the target's task, replies to
 * caller addresses in the reserved namespace turned into answers, idempotent retries, dead-lettered
 * calls answered, and expiry. A "restart" keeps the durable stores (mailboxes and invocations).
 */
@Timeout(30)
class ApiCallsDispatcherTest {

  private static final int PARTITIONS = 4;
  private static final FunctionType COUNTER = new FunctionType("example", "counter");
  private static final long RETENTION = 60_000;

  private final InMemoryDispatchStores stores = new InMemoryDispatchStores();
  private final ApiInvocationStore invocations = ApiInvocationStore.inMemory();
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final String id = "alice";
  private final Address alice = new Address(COUNTER, id);
  private final int partition = AddressPartitioner.partition(id, PARTITIONS);
  private long maxBacklog = 100;
  private Dispatcher dispatcher;

  @BeforeEach
  void start() {
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
            return false;
          }
        },
        new StateSpecRegistry(),
        now::get,
        new Dispatcher.Limits(10, 3, 100, 1000),
        new Dispatcher.Listener() {},
        Dispatcher.Options.defaults().withApi(invocations, RETENTION, maxBacklog));
  }

  @Test
  void shouldDeliverACallWithItsReservedCallerAndAnswerTheWaiterWithTheReply() {
    Action.Invoke invoke = invoke(dispatcher.onMessage(call("k1", "+1", waiter(3, "c1"))));

    ToFunction.Invocation invocation = invoke.request().getInvocation().getInvocations(0);
    String invocationId = ApiAddresses.invocationId(alice, "k1");
    assertThat(invocation.getCaller()).isEqualTo(ApiAddresses.caller(invocationId, id));
    assertThat(invocation.getArgument().getValue().toStringUtf8()).isEqualTo("+1");

    List<Action> out = dispatcher.onResponse(replyingWith(invoke, invocation.getCaller(), "1"));

    List<Action.ApiReply> answers = only(out, Action.ApiReply.class);
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).partition()).isEqualTo(3);
    ApiReply reply = answers.get(0).reply();
    assertThat(reply.getCallId()).isEqualTo("c1");
    assertThat(reply.getStatus()).isEqualTo(200);
    assertThat(reply.getReply().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(only(out, Action.DeadLetter.class)).as("no UNKNOWN_FUNCTION_TYPE").isEmpty();
    assertThat(only(out, Action.SendToPartition.class)).isEmpty();
  }

  @Test
  void shouldNotDeliverARetryAgainButAnswerItWithTheRecordedReply() {
    Action.Invoke invoke = invoke(dispatcher.onMessage(call("k1", "+1", waiter(0, "c1"))));
    io.kstatefun.protocol.Address caller =
        invoke.request().getInvocation().getInvocations(0).getCaller();

    // A retry while the call runs waits for the same answer, from another instance.
    List<Action> whileRunning = dispatcher.onMessage(call("k1", "+1", waiter(1, "c2")));
    assertThat(only(whileRunning, Action.Invoke.class)).isEmpty();
    assertThat(only(whileRunning, Action.ApiReply.class)).isEmpty();

    List<Action> done = dispatcher.onResponse(replyingWith(invoke, caller, "1"));
    assertThat(only(done, Action.ApiReply.class))
        .extracting(a -> a.partition() + ":" + a.reply().getCallId() + ":" + a.reply().getStatus())
        .containsExactly("0:c1:200", "1:c2:200");

    // A retry after the answer, after a restart of the task: answered, not delivered.
    dispatcher = newDispatcher();
    dispatcher.onRecover();
    List<Action> late = dispatcher.onMessage(call("k1", "+1", waiter(2, "c3")));
    assertThat(only(late, Action.Invoke.class)).isEmpty();
    assertThat(only(late, Action.ApiReply.class))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.reply().getCallId()).isEqualTo("c3");
              assertThat(a.reply().getStatus()).isEqualTo(200);
              assertThat(a.reply().getReply().getValue().toStringUtf8()).isEqualTo("1");
            });
  }

  @Test
  void shouldRefuseTheSameKeyWithAnotherBody() {
    invoke(dispatcher.onMessage(call("k1", "+1", waiter(0, "c1"))));

    List<Action> out = dispatcher.onMessage(call("k1", "+5", waiter(0, "c2")));

    assertThat(only(out, Action.Invoke.class)).isEmpty();
    assertThat(only(out, Action.ApiReply.class))
        .singleElement()
        .satisfies(a -> assertThat(a.reply().getStatus()).isEqualTo(422));
  }

  @Test
  void shouldAnswerTheCallsOfADeadLetteredBatchWith502AndTheReason() {
    Action.Invoke invoke = invoke(dispatcher.onMessage(call("k1", "+1", waiter(0, "c1"))));

    List<Action> out =
        dispatcher.onResponse(
            CallOutcome.failure(alice, invoke.requestId(), new RuntimeException("boom"), 5));

    assertThat(only(out, Action.DeadLetter.class)).hasSize(1);
    assertThat(only(out, Action.ApiReply.class))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.reply().getStatus()).isEqualTo(502);
              assertThat(a.reply().getError())
                  .startsWith(DeadLetterReason.FUNCTION_CALL_FAILED.name());
            });
    // The outcome is recorded: a retry gets it too, and nothing is delivered again.
    List<Action> retry = dispatcher.onMessage(call("k1", "+1", waiter(0, "c2")));
    assertThat(only(retry, Action.Invoke.class)).isEmpty();
    assertThat(only(retry, Action.ApiReply.class).get(0).reply().getStatus()).isEqualTo(502);
  }

  @Test
  void shouldAnswer429InsteadOfQueueingBeyondTheAddressBacklog() {
    maxBacklog = 2;
    dispatcher = newDispatcher();
    invoke(dispatcher.onMessage(call("k1", "a", waiter(0, "c1")))); // in flight
    dispatcher.onMessage(call("k2", "b", waiter(0, "c2"))); // queued

    List<Action> out = dispatcher.onMessage(call("k3", "c", waiter(0, "c3")));

    assertThat(only(out, Action.ApiReply.class))
        .singleElement()
        .satisfies(a -> assertThat(a.reply().getStatus()).isEqualTo(429));
    assertThat(only(out, Action.DeadLetter.class)).isEmpty();
    // Not recorded: the same key may be retried later and is then delivered.
    assertThat(invocations.get(ApiAddresses.invocationId(alice, "k3"))).isNull();
  }

  @Test
  void shouldAcceptAKeyedSendOnceAndDeliverItWithoutACaller() {
    List<Action> first = dispatcher.onMessage(send("s1", "x", waiter(0, "c1"), 0));
    assertThat(invoke(first).request().getInvocation().getInvocations(0).hasCaller()).isFalse();
    assertThat(only(first, Action.ApiReply.class).get(0).reply().getStatus()).isEqualTo(202);

    List<Action> retry = dispatcher.onMessage(send("s1", "x", waiter(0, "c2"), 0));
    assertThat(only(retry, Action.Invoke.class)).isEmpty();
    assertThat(only(retry, Action.ApiReply.class).get(0).reply().getStatus()).isEqualTo(202);
  }

  @Test
  void shouldDeliverADelayedSendWhenItIsDue() {
    List<Action> accepted = dispatcher.onMessage(send("s1", "later", null, now.get() + 5_000));
    assertThat(only(accepted, Action.Invoke.class)).isEmpty();

    now.addAndGet(5_000);
    Action.Invoke invoke = invoke(dispatcher.onTimers());
    assertThat(invoke.request().getInvocation().getInvocations(0).getArgument().getValue())
        .isEqualTo(ByteString.copyFromUtf8("later"));
  }

  @Test
  void shouldAttachToARunningCallAndPeekWithoutWaiting() {
    Action.Invoke invoke = invoke(dispatcher.onMessage(call("k1", "+1", waiter(0, "c1"))));
    io.kstatefun.protocol.Address caller =
        invoke.request().getInvocation().getInvocations(0).getCaller();

    List<Action> peek = dispatcher.onMessage(lookup(caller, ApiRequest.Kind.PEEK, "p1"));
    assertThat(only(peek, Action.ApiReply.class).get(0).reply().getStatus()).isEqualTo(202);
    assertThat(dispatcher.onMessage(lookup(caller, ApiRequest.Kind.ATTACH, "a1"))).isEmpty();

    List<Action> done = dispatcher.onResponse(replyingWith(invoke, caller, "1"));
    assertThat(only(done, Action.ApiReply.class))
        .extracting(a -> a.reply().getCallId())
        .containsExactly("c1", "a1");
  }

  @Test
  void shouldIgnoreALateSecondReplyAndForgetExpiredInvocations() {
    Action.Invoke invoke = invoke(dispatcher.onMessage(call("k1", "+1", waiter(0, "c1"))));
    io.kstatefun.protocol.Address caller =
        invoke.request().getInvocation().getInvocations(0).getCaller();
    FromFunction twoReplies =
        FromFunction.newBuilder()
            .setInvocationResult(
                InvocationResponse.newBuilder()
                    .addOutgoingMessages(outgoing(caller, "first"))
                    .addOutgoingMessages(outgoing(caller, "second")))
            .build();

    List<Action> out =
        dispatcher.onResponse(CallOutcome.success(alice, invoke.requestId(), twoReplies, 1));
    assertThat(only(out, Action.ApiReply.class))
        .singleElement()
        .satisfies(
            a -> assertThat(a.reply().getReply().getValue().toStringUtf8()).isEqualTo("first"));

    now.addAndGet(RETENTION);
    assertThat(dispatcher.purgeExpiredInvocations(100)).isEqualTo(1);
    List<Action> unknown = dispatcher.onMessage(lookup(caller, ApiRequest.Kind.PEEK, "p1"));
    assertThat(only(unknown, Action.ApiReply.class).get(0).reply().getStatus()).isEqualTo(404);
  }

  @Test
  void shouldRouteAReplyFromAnotherPartitionToTheTaskOfTheCall() {
    String otherId = "bob";
    for (int i = 0; AddressPartitioner.partition(otherId, PARTITIONS) == partition; i++) {
      otherId = "bob-" + i;
    }
    io.kstatefun.protocol.Address caller =
        ApiAddresses.caller("0123456789abcdef0123456789abcdef", otherId);
    Envelope reply =
        Envelope.newBuilder()
            .setTarget(caller)
            .setCaller(alice.toProto())
            .setArgument(value("1"))
            .build();

    List<Action> out = dispatcher.onMessage(reply);

    assertThat(only(out, Action.SendToPartition.class))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.partition())
                    .isEqualTo(AddressPartitioner.partition(caller.getId(), PARTITIONS)));
  }

  // --- helpers -------------------------------------------------------------------------------

  private Envelope call(String key, String body, ApiWaiter waiter) {
    String invocationId = ApiAddresses.invocationId(alice, key);
    ApiRequest.Builder request =
        ApiRequest.newBuilder()
            .setKind(ApiRequest.Kind.CALL)
            .setInvocationId(invocationId)
            .setBodyHash(
                ByteString.copyFrom(ApiAddresses.bodyHash("example/payload", body.getBytes())));
    if (waiter != null) {
      request.setWaiter(waiter);
    }
    return Envelope.newBuilder()
        .setTarget(alice.toProto())
        .setCaller(ApiAddresses.caller(invocationId, id))
        .setArgument(value(body))
        .setApiRequest(request)
        .build();
  }

  private Envelope send(String key, String body, ApiWaiter waiter, long dueMs) {
    ApiRequest.Builder request =
        ApiRequest.newBuilder()
            .setKind(ApiRequest.Kind.SEND)
            .setInvocationId(ApiAddresses.invocationId(alice, key))
            .setBodyHash(
                ByteString.copyFrom(ApiAddresses.bodyHash("example/payload", body.getBytes())))
            .setDueMs(dueMs);
    if (waiter != null) {
      request.setWaiter(waiter);
    }
    return Envelope.newBuilder()
        .setTarget(alice.toProto())
        .setArgument(value(body))
        .setApiRequest(request)
        .build();
  }

  private static Envelope lookup(
      io.kstatefun.protocol.Address caller, ApiRequest.Kind kind, String callId) {
    return Envelope.newBuilder()
        .setTarget(caller)
        .setApiRequest(
            ApiRequest.newBuilder()
                .setKind(kind)
                .setInvocationId(ApiAddresses.invocationOf(caller))
                .setWaiter(waiter(0, callId)))
        .build();
  }

  private static ApiWaiter waiter(int partition, String callId) {
    return ApiWaiter.newBuilder().setReplyPartition(partition).setCallId(callId).build();
  }

  private static TypedValue value(String s) {
    return TypedValue.newBuilder()
        .setTypename("example/payload")
        .setHasValue(true)
        .setValue(ByteString.copyFromUtf8(s))
        .build();
  }

  private static FromFunction.Invocation outgoing(io.kstatefun.protocol.Address to, String s) {
    return FromFunction.Invocation.newBuilder().setTarget(to).setArgument(value(s)).build();
  }

  private CallOutcome replyingWith(
      Action.Invoke invoke, io.kstatefun.protocol.Address caller, String reply) {
    return CallOutcome.success(
        alice,
        invoke.requestId(),
        FromFunction.newBuilder()
            .setInvocationResult(
                InvocationResponse.newBuilder().addOutgoingMessages(outgoing(caller, reply)))
            .build(),
        1);
  }

  private static Action.Invoke invoke(List<Action> actions) {
    List<Action.Invoke> invokes = only(actions, Action.Invoke.class);
    assertThat(invokes).hasSize(1);
    return invokes.get(0);
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
}
