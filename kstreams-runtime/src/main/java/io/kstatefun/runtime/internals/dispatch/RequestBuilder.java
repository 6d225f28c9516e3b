package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Builds the request for a batch of an address's mailbox: its messages, in mailbox order, and every
 * state registered for the function type, with the stored value unless it has expired.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class RequestBuilder {

  /**
   * A request, the names of the states it carries, the origin of its first message that came from
   * an ingress ({@code null} if none did), the headers every message of the batch carries alike
   * (empty when they differ or there are none; without the trace context when tracing is on), and
   * the batch's messages when tracing is on ({@code null} otherwise).
   */
  record Request(
      ToFunction toFunction,
      Set<String> sentStates,
      Origin origin,
      List<TypedValue.Metadata> commonHeaders,
      List<Envelope> messages) {}

  private final DispatchStores stores;
  private final StateSpecRegistry specs;
  private final LongSupplier clock;
  private final boolean inheritHeaders;
  private final boolean tracing;

  RequestBuilder(DispatchStores stores, StateSpecRegistry specs, LongSupplier clock) {
    this(stores, specs, clock, false, false);
  }

  RequestBuilder(
      DispatchStores stores,
      StateSpecRegistry specs,
      LongSupplier clock,
      boolean inheritHeaders,
      boolean tracing) {
    this.stores = stores;
    this.specs = specs;
    this.clock = clock;
    this.inheritHeaders = inheritHeaders;
    this.tracing = tracing;
  }

  /**
   * The request for the mailbox entries {@code [head, end)} of {@code target}.
   *
   * @throws CorruptStoreRecordException if an entry of the batch or the address's state cannot be
   *     read
   */
  Request build(Address target, long head, long end) {
    ToFunction.InvocationBatchRequest.Builder batch =
        ToFunction.InvocationBatchRequest.newBuilder().setTarget(Envelopes.toProto(target));
    Origin origin = null;
    List<TypedValue.Metadata> common = null;
    List<Envelope> messages = tracing ? new ArrayList<>((int) (end - head)) : null;
    for (long seq = head; seq < end; seq++) {
      Envelope envelope = stores.entry(target, seq);
      if (envelope == null) {
        continue; // cannot happen with consistent stores; never send a hole
      }
      if (origin == null && envelope.hasOrigin()) {
        origin = envelope.getOrigin();
      }
      if (inheritHeaders) {
        List<TypedValue.Metadata> headers = envelope.getArgument().getMetadataList();
        common = common == null ? headers : common.equals(headers) ? common : List.of();
      }
      if (messages != null) {
        messages.add(envelope);
      }
      ToFunction.Invocation.Builder invocation =
          ToFunction.Invocation.newBuilder().setArgument(envelope.getArgument());
      if (envelope.hasCaller()) {
        invocation.setCaller(envelope.getCaller());
      }
      batch.addInvocations(invocation);
    }
    StoredState state = stores.state(target);
    Map<String, StoredValue> values = StateWriter.valuesByName(state);
    long now = clock.getAsLong();
    Set<String> sent = new HashSet<>();
    for (PersistedValueSpec spec : specs.specsOf(target.type())) {
      sent.add(spec.getStateName());
      ToFunction.PersistedValue.Builder value =
          ToFunction.PersistedValue.newBuilder().setStateName(spec.getStateName());
      StoredValue stored = values.get(spec.getStateName());
      if (stored != null && !StateWriter.isExpired(stored, now)) {
        value.setStateValue(
            TypedValue.newBuilder()
                .setTypename(stored.getTypename())
                .setHasValue(true)
                .setValue(stored.getValue()));
      }
      batch.addState(value);
    }
    return new Request(
        ToFunction.newBuilder().setInvocation(batch).build(),
        sent,
        origin,
        common == null || common.isEmpty() ? List.of() : withoutTraceContext(common),
        messages);
  }

  /**
   * {@code headers} without the W3C trace context when tracing is on (the runtime stamps its own).
   */
  private List<TypedValue.Metadata> withoutTraceContext(List<TypedValue.Metadata> headers) {
    if (!tracing) {
      return headers;
    }
    List<TypedValue.Metadata> out = new ArrayList<>(headers.size());
    for (TypedValue.Metadata h : headers) {
      if (!OutgoingHeaders.isTraceContext(h.getKey())) {
        out.add(h);
      }
    }
    return out;
  }
}
