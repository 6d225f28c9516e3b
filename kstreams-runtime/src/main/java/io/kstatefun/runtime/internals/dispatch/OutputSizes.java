package io.kstatefun.runtime.internals.dispatch;

import com.google.protobuf.CodedOutputStream;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Upper bounds of the records the dispatcher makes the runtime write, against {@link
 * Dispatcher.Limits#maxRecordBytes()}: a message (its mailbox entry; its loopback record is
 * smaller), a delayed message (its timer and token index records), an egress record, an address's
 * state.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class OutputSizes {

  /** Bytes a store key holds besides an address (a prefix byte, a sequence number, lengths). */
  private static final int KEY_OVERHEAD = 16;

  private final DispatchStores stores;
  private final long maxRecordBytes;

  OutputSizes(DispatchStores stores, long maxRecordBytes) {
    this.stores = stores;
    this.maxRecordBytes = maxRecordBytes;
  }

  /**
   * An upper bound of the key and value bytes of the largest record a message becomes: its mailbox
   * entry (address and sequence number -> envelope). Its loopback record (id -> envelope) is
   * smaller.
   */
  static long messageRecordBytes(Envelope envelope) {
    return envelope.getTarget().getSerializedSize() + KEY_OVERHEAD + envelope.getSerializedSize();
  }

  /**
   * Why applying {@code sender}'s {@code response} would write a record larger than {@link
   * Dispatcher.Limits#maxRecordBytes()}, or {@code null} if every record fits: a message, a delayed
   * message (its timer and token index records), an egress record, or the address's state after the
   * mutations.
   *
   * @param messages the envelopes of the response's messages
   * @param egress the response's egress records
   * @param origin the origin the response's messages carry, or {@code null}
   */
  String oversized(
      Address sender,
      InvocationResponse response,
      List<Envelope> messages,
      List<Action.EmitEgress> egress,
      Origin origin) {
    long max = maxRecordBytes;
    if (max == Long.MAX_VALUE) {
      return null;
    }
    String limit =
        " bytes, more than the "
            + max
            + " bytes the runtime writes per record (derived from the producer's max.request.size)";
    for (Envelope message : messages) {
      long size = messageRecordBytes(message);
      if (size > max) {
        return "function sent a message to "
            + Envelopes.describe(message.getTarget())
            + " that would be a record of "
            + size
            + limit;
      }
    }
    long senderBytes = Envelopes.toProto(sender).getSerializedSize();
    for (DelayedInvocation delayed : response.getDelayedInvocationsList()) {
      if (delayed.getIsCancellationRequest()) {
        continue;
      }
      long token = CodedOutputStream.computeStringSizeNoTag(delayed.getCancellationToken());
      Envelope envelope =
          Envelopes.outgoing(sender, delayed.getTarget(), delayed.getArgument(), origin);
      // The timer record's value is the envelope, due time, sequence and token; the token index
      // record has the same value under the sender's address and the token.
      long size =
          senderBytes + KEY_OVERHEAD + token + envelope.getSerializedSize() + token + 3 * 11L;
      if (size > max) {
        return "function sent a delayed message to "
            + Envelopes.describe(delayed.getTarget())
            + " that would be a record of "
            + size
            + limit;
      }
    }
    for (Action.EmitEgress record : egress) {
      long size = (record.key() == null ? 0 : record.key().length) + (long) record.value().length;
      if (size > max) {
        return "function sent an egress record to "
            + record.egressId()
            + " (topic "
            + record.topic()
            + ") of "
            + size
            + limit;
      }
    }
    if (response.getStateMutationsCount() > 0
        && stateRecordBound(sender, response.getStateMutationsList()) > max) {
      // Only near the limit: the exact size needs the stored state parsed, which the state writer
      // does anyway when it applies the response.
      long size = stateRecordBytes(sender, response.getStateMutationsList());
      if (size > max) {
        return "the state of " + sender + " would be a record of " + size + limit;
      }
    }
    return null;
  }

  /**
   * A cheap upper bound of {@link #stateRecordBytes}, reading no stored value: as if no value were
   * replaced or deleted, and twice the stored record's size, because {@link #stateRecordBytes}
   * counts every stored value with 6 bytes of framing, where the record has 2 to 6 on values of at
   * least 6 bytes.
   */
  private long stateRecordBound(Address target, List<PersistedValueMutation> mutations) {
    long size = Envelopes.toProto(target).getSerializedSize() + KEY_OVERHEAD + 11L;
    size += 2 * stores.stateBytes(target);
    for (PersistedValueMutation mutation : mutations) {
      if (mutation.getMutationType() == MutationType.MODIFY) {
        size += valueBytes(mutation);
      }
    }
    return size;
  }

  /**
   * An upper bound of the key and value bytes of {@code target}'s state after {@code mutations}.
   */
  private long stateRecordBytes(Address target, List<PersistedValueMutation> mutations) {
    Map<String, Long> sizes = new HashMap<>();
    StoredState state;
    try {
      state = stores.state(target);
    } catch (CorruptStoreRecordException e) {
      // The request builder read this state moments ago, so this cannot normally happen; if it
      // does, the state writer dead-letters the record when it applies the response. Size it as
      // empty.
      state = null;
    }
    if (state != null) {
      for (StoredValue v : state.getValuesList()) {
        sizes.put(v.getName(), v.getSerializedSize() + 6L);
      }
    }
    for (PersistedValueMutation mutation : mutations) {
      if (mutation.getMutationType() == MutationType.MODIFY) {
        sizes.put(mutation.getStateName(), valueBytes(mutation));
      } else {
        sizes.remove(mutation.getStateName());
      }
    }
    long size =
        Envelopes.toProto(target).getSerializedSize()
            + KEY_OVERHEAD
            + 11L; // key, expiry check time
    for (long s : sizes.values()) {
      size += s;
    }
    return size;
  }

  /** The bytes one modified value takes in the state record: name, typename, value, expiry. */
  private static long valueBytes(PersistedValueMutation mutation) {
    TypedValue value = mutation.getStateValue();
    // name, typename and value with their tags and lengths, and an expiry time
    return CodedOutputStream.computeStringSizeNoTag(mutation.getStateName())
        + CodedOutputStream.computeStringSizeNoTag(value.getTypename())
        + (long) value.getValue().size()
        + 3 * 6L
        + 11
        + 6;
  }
}
