package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction.ExpirationSpec.ExpireMode;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of a task's addresses and its TTL (per {@code PersistedValueSpec}): applies a
 * response's state mutations, and keeps exactly one expiry-check timer per address with TTL'd
 * values, which deletes expired values from the store; rewriting a value never adds a second one
 * (see {@link #write}). An expired value is never sent to the function ({@link #isExpired}).
 *
 * <p>A state that cannot be read is dead-lettered and removed ({@link UnreadableRecords}) and
 * treated as empty.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class StateWriter {

  private final DispatchStores stores;
  private final StateSpecRegistry specs;
  private final UnreadableRecords unreadable;

  StateWriter(DispatchStores stores, StateSpecRegistry specs, UnreadableRecords unreadable) {
    this.stores = stores;
    this.specs = specs;
    this.unreadable = unreadable;
  }

  /**
   * Applies a response's {@code mutations} to the state of {@code target}: expired values are
   * dropped, written values get their TTL, {@code AFTER_INVOKE} values are renewed, and the expiry
   * check follows (see {@link #write}).
   */
  void apply(Address target, List<PersistedValueMutation> mutations, long now, List<Action> out) {
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
    write(target, values, pendingDue, pendingSeq, now);
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
   *     a check cannot be deleted, and is ignored when it fires if it is no longer the recorded
   *     one)
   */
  private void write(
      Address target, Map<String, StoredValue> values, long pendingDue, long pendingSeq, long now) {
    long earliest = Long.MAX_VALUE;
    for (StoredValue v : values.values()) {
      if (v.getExpiresAtMs() > 0) {
        earliest = Math.min(earliest, v.getExpiresAtMs());
      }
    }
    long checkDue = pendingDue;
    long checkSeq = pendingSeq;
    boolean keep =
        pendingDue != 0
            && earliest != Long.MAX_VALUE
            && pendingDue >= now
            && pendingDue <= earliest;
    if (!keep) {
      if (pendingDue != 0 && pendingSeq != 0) {
        stores.deleteTimer(
            PendingTimer.newBuilder().setDueMs(pendingDue).setSeq(pendingSeq).build());
      }
      checkDue = 0;
      checkSeq = 0;
      if (earliest != Long.MAX_VALUE) {
        checkDue = earliest;
        checkSeq = stores.nextTimerSeq();
        stores.putTimer(
            PendingTimer.newBuilder()
                .setDueMs(checkDue)
                .setSeq(checkSeq)
                .setExpiryCheck(Envelopes.toProto(target))
                .build());
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
  void expire(PendingTimer check, long now, List<Action> out) {
    Address target = Envelopes.fromProto(check.getExpiryCheck());
    StoredState state = state(target, out);
    if (state == null || !isRecordedCheck(state, check)) {
      return;
    }
    Map<String, StoredValue> values = valuesByName(state);
    values.values().removeIf(v -> isExpired(v, now));
    write(target, values, 0, 0, now);
  }

  private static boolean isRecordedCheck(StoredState state, PendingTimer check) {
    return state.getExpiryCheckMs() == check.getDueMs()
        && (state.getExpiryCheckSeq() == 0 || state.getExpiryCheckSeq() == check.getSeq());
  }

  /** The state of {@code target}; one that cannot be read is dead-lettered and removed (null). */
  private StoredState state(Address target, List<Action> out) {
    try {
      return stores.state(target);
    } catch (CorruptStoreRecordException e) {
      unreadable.drop(e, out);
      return null;
    }
  }

  /** The values of {@code state} by name, in stored order; empty for {@code null}. */
  static Map<String, StoredValue> valuesByName(StoredState state) {
    Map<String, StoredValue> values = new LinkedHashMap<>();
    if (state != null) {
      for (StoredValue v : state.getValuesList()) {
        values.put(v.getName(), v);
      }
    }
    return values;
  }

  /**
   * Whether {@code value} has a TTL that has passed at {@code now}; expired values are never sent.
   */
  static boolean isExpired(StoredValue value, long now) {
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
}
