package io.kstatefun.runtime.internals.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.http.FunctionClient;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Headers through the dispatcher: to the function in {@code TypedValue.metadata}, from the function
 * on messages and Kafka records, inherited by outputs sent without headers, and the trace context
 * stamped by the tracing hooks.
 */
@Timeout(30)
class HeaderPropagationTest {

  private static final int PARTITIONS = 4;
  private static final FunctionType FN = new FunctionType("example", "fn");
  private static final FunctionType NEXT = new FunctionType("example", "next");

  private final InMemoryDispatchStores stores = new InMemoryDispatchStores();
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final String id = "alice";
  private final int partition = AddressPartitioner.partition(id, PARTITIONS);

  private Dispatcher dispatcher(boolean inherit, Tracing tracing) {
    return new Dispatcher(
        partition,
        PARTITIONS,
        stores,
        new Dispatcher.Directory() {
          @Override
          public boolean hasFunction(FunctionType type) {
            return true;
          }

          @Override
          public boolean hasEgress(String egressId) {
            return egressId.equals("example/out");
          }
        },
        new StateSpecRegistry(),
        now::get,
        new Dispatcher.Limits(10, 3, 100, 1000),
        new Dispatcher.Listener() {},
        Dispatcher.Options.defaults().withHeaders(inherit, tracing));
  }

  private static TypedValue.Metadata header(String key, String value) {
    TypedValue.Metadata.Builder b = TypedValue.Metadata.newBuilder().setKey(key);
    if (value != null) {
      b.setHasValue(true).setValue(ByteString.copyFromUtf8(value));
    }
    return b.build();
  }

  private Envelope message(TypedValue.Metadata... headers) {
    return Envelope.newBuilder()
        .setTarget(new Address(FN, id).toProto())
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("example/payload")
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8("x"))
                .addAllMetadata(List.of(headers)))
        .build();
  }

  private static FromFunction answer(TypedValue.Metadata... messageHeaders) {
    KafkaProducerRecord record =
        KafkaProducerRecord.newBuilder()
            .setTopic("out")
            .setValueBytes(ByteString.copyFromUtf8("v"))
            .build();
    return FromFunction.newBuilder()
        .setInvocationResult(
            FromFunction.InvocationResponse.newBuilder()
                .addOutgoingMessages(
                    FromFunction.Invocation.newBuilder()
                        .setTarget(new Address(NEXT, "alice").toProto())
                        .setArgument(
                            TypedValue.newBuilder()
                                .setTypename("example/payload")
                                .setHasValue(true)
                                .setValue(ByteString.copyFromUtf8("y"))
                                .addAllMetadata(List.of(messageHeaders))))
                .addOutgoingEgresses(
                    FromFunction.EgressMessage.newBuilder()
                        .setEgressNamespace("example")
                        .setEgressType("out")
                        .setArgument(
                            TypedValue.newBuilder()
                                .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                                .setHasValue(true)
                                .setValue(record.toByteString()))))
        .build();
  }

  private static Action.Invoke invoke(List<Action> actions) {
    return actions.stream()
        .filter(Action.Invoke.class::isInstance)
        .map(Action.Invoke.class::cast)
        .findFirst()
        .orElseThrow();
  }

  /** The message to NEXT (same id, so local: read it back from the mailbox) and the egress. */
  private List<TypedValue.Metadata> sentMessageHeaders(Dispatcher d, List<Action> actions) {
    Action.Invoke next = invoke(actions);
    assertThat(next.target().type()).isEqualTo(NEXT);
    return next.request().getInvocation().getInvocations(0).getArgument().getMetadataList();
  }

  private static List<KafkaProducerRecord.Header> egressHeaders(List<Action> actions) {
    return actions.stream()
        .filter(Action.EmitEgress.class::isInstance)
        .map(a -> ((Action.EmitEgress) a).headers())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void shouldGiveTheFunctionTheHeadersInOrderWithNullAndDuplicates() {
    Dispatcher d = dispatcher(true, Tracing.OFF);
    List<TypedValue.Metadata> headers =
        List.of(header("k", "1"), header("n", null), header("k", "2"), header("e", ""));
    Action.Invoke call = invoke(d.onMessage(message(headers.toArray(TypedValue.Metadata[]::new))));

    ToFunction.Invocation invocation = call.request().getInvocation().getInvocations(0);
    assertThat(invocation.getArgument().getMetadataList()).isEqualTo(headers);
    assertThat(invocation.getArgument().getMetadata(1).getHasValue()).isFalse();
    assertThat(invocation.getArgument().getMetadata(3).getHasValue()).isTrue();
  }

  @Test
  void shouldLetOutputsWithoutHeadersInheritTheHeadersOfABatchOfOne() {
    Dispatcher d = dispatcher(true, Tracing.OFF);
    Action.Invoke call = invoke(d.onMessage(message(header("corr", "c1"), header("n", null))));

    List<Action> actions =
        d.onResponse(CallOutcome.success(call.target(), call.requestId(), answer(), 1));

    assertThat(sentMessageHeaders(d, actions))
        .containsExactly(header("corr", "c1"), header("n", null));
    assertThat(egressHeaders(actions))
        .extracting(
            h -> h.getKey() + "=" + (h.getHasValue() ? h.getValue().toStringUtf8() : "null"))
        .containsExactly("corr=c1", "n=null");
  }

  @Test
  void shouldKeepTheHeadersTheFunctionSetAndInheritNothingWhenTheBatchDisagrees() {
    Dispatcher d = dispatcher(true, Tracing.OFF);
    Action.Invoke first = invoke(d.onMessage(message(header("corr", "c1"))));
    // Two more messages queue up while the first batch is in flight, with different headers.
    d.onMessage(message(header("corr", "c2")));
    d.onMessage(message(header("corr", "c3")));
    List<Action> afterFirst =
        d.onResponse(
            CallOutcome.success(first.target(), first.requestId(), answer(header("own", "x")), 1));
    assertThat(sentMessageHeaders(d, afterFirst)).containsExactly(header("own", "x"));

    Action.Invoke second =
        afterFirst.stream()
            .filter(Action.Invoke.class::isInstance)
            .map(Action.Invoke.class::cast)
            .filter(i -> i.target().type().equals(FN))
            .findFirst()
            .orElseThrow();
    assertThat(second.batchSize()).isEqualTo(2);
    List<Action> afterSecond =
        d.onResponse(CallOutcome.success(second.target(), second.requestId(), answer(), 1));
    assertThat(egressHeaders(afterSecond)).isEmpty();
  }

  @Test
  void shouldInheritNothingWhenSwitchedOff() {
    Dispatcher d = dispatcher(false, Tracing.OFF);
    Action.Invoke call = invoke(d.onMessage(message(header("corr", "c1"))));
    List<Action> actions =
        d.onResponse(CallOutcome.success(call.target(), call.requestId(), answer(), 1));
    assertThat(sentMessageHeaders(d, actions)).isEmpty();
    assertThat(egressHeaders(actions)).isEmpty();
  }

  @Test
  void shouldStampTheProducerSpanOnOutputsThatDoNotCarryATraceparent() {
    RecordingTracing tracing = new RecordingTracing();
    Dispatcher d = dispatcher(true, tracing);
    Action.Invoke call =
        invoke(d.onMessage(message(header("traceparent", "00-in"), header("corr", "c1"))));
    assertThat(call.span()).isNotNull();
    assertThat(tracing.batches).containsExactly("example/fn:1");

    List<Action> actions =
        d.onResponse(
            CallOutcome.success(
                call.target(), call.requestId(), answer(header("traceparent", "00-own")), 1));

    // The message set its own traceparent: kept, no producer span. The egress record inherits
    // corr (not the incoming traceparent) and gets its producer span's context.
    assertThat(sentMessageHeaders(d, actions)).containsExactly(header("traceparent", "00-own"));
    assertThat(egressHeaders(actions))
        .extracting(h -> h.getKey() + "=" + h.getValue().toStringUtf8())
        .containsExactly("corr=c1", "traceparent=00-publish-out");
    assertThat(tracing.ended).containsExactly("ok");
  }

  @Test
  void shouldReplaceATraceparentCopiedFromTheInputInPlace() {
    Dispatcher d = dispatcher(true, new RecordingTracing());
    Action.Invoke call = invoke(d.onMessage(message(header("traceparent", "00-in"))));

    List<Action> actions =
        d.onResponse(
            CallOutcome.success(
                call.target(),
                call.requestId(),
                answer(header("traceparent", "00-in"), header("after", "x")),
                1));

    assertThat(sentMessageHeaders(d, actions))
        .containsExactly(header("traceparent", "00-send-example/next"), header("after", "x"));
  }

  @Test
  void shouldLeaveOutputsAsTheyAreWhenTheSpanHasNoContext() {
    RecordingTracing tracing = new RecordingTracing();
    tracing.contextless = true;
    Dispatcher d = dispatcher(true, tracing);
    Action.Invoke call = invoke(d.onMessage(message(header("corr", "c1"))));

    List<Action> actions =
        d.onResponse(CallOutcome.success(call.target(), call.requestId(), answer(), 1));

    assertThat(sentMessageHeaders(d, actions)).containsExactly(header("corr", "c1"));
    assertThat(egressHeaders(actions)).extracting(h -> h.getKey()).containsExactly("corr");
  }

  @Test
  void shouldMarkADelayedMessageSoItsBatchOnlyLinksToTheSchedulingSpan() {
    RecordingTracing tracing = new RecordingTracing();
    Dispatcher d = dispatcher(true, tracing);
    Action.Invoke call = invoke(d.onMessage(message()));
    FromFunction delayed =
        FromFunction.newBuilder()
            .setInvocationResult(
                FromFunction.InvocationResponse.newBuilder()
                    .addDelayedInvocations(
                        FromFunction.DelayedInvocation.newBuilder()
                            .setDelayInMs(1000)
                            .setTarget(new Address(NEXT, "alice").toProto())
                            .setArgument(
                                TypedValue.newBuilder()
                                    .setTypename("example/payload")
                                    .setHasValue(true))))
            .build();
    d.onResponse(CallOutcome.success(call.target(), call.requestId(), delayed, 1));

    now.addAndGet(1000);
    Action.Invoke fired = invoke(d.onTimers());

    assertThat(fired.target().type()).isEqualTo(NEXT);
    Envelope delivered = tracing.lastMessages.get(0);
    assertThat(delivered.getFromTimer()).isTrue();
    assertThat(delivered.getArgument().getMetadataList())
        .containsExactly(header("traceparent", "00-schedule-example/next"));
    assertThat(fired.request().getInvocation().getInvocations(0).getArgument().getMetadataList())
        .containsExactly(header("traceparent", "00-schedule-example/next"));
  }

  /** Records what the dispatcher asks of its tracing. */
  private static final class RecordingTracing implements Tracing {
    final List<String> batches = new ArrayList<>();
    final List<String> ended = new ArrayList<>();
    boolean contextless;
    List<Envelope> lastMessages = List.of();

    @Override
    public boolean enabled() {
      return true;
    }

    @Override
    public BatchSpan startBatch(Address target, List<Envelope> messages) {
      batches.add(target.type() + ":" + messages.size());
      lastMessages = messages;
      return new BatchSpan() {
        @Override
        public String produce(String operation, String destination) {
          return contextless ? null : "00-" + operation + "-" + destination;
        }

        @Override
        public boolean received(String traceparent) {
          return traceparent.equals("00-in");
        }

        @Override
        public FunctionClient.CallTrace startCall() {
          throw new UnsupportedOperationException();
        }

        @Override
        public void end(String error) {
          ended.add(error == null ? "ok" : error);
        }

        @Override
        public void endResent(String reason) {
          ended.add("resent");
        }
      };
    }
  }
}
