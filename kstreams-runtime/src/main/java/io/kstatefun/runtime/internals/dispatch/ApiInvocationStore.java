package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.runtime.internals.proto.ApiInvocation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The invocations of the HTTP API a task remembers (idempotency keys, answers, waiters), keyed by
 * invocation id, with an index by expiry time. In production a changelogged store of the task, so
 * an invocation is recorded in the same transaction as the delivery of its message and its answer
 * in the same transaction as the effects that produced it.
 *
 * <p>Threading: used only by the thread that owns the task (the stream thread).
 */
public interface ApiInvocationStore {

  /** The invocation, or {@code null} when it is unknown (never seen, or expired and purged). */
  ApiInvocation get(String invocationId);

  /** Stores the invocation (replacing an earlier version and its expiry index entry). */
  void put(String invocationId, ApiInvocation invocation);

  void delete(String invocationId);

  /** Ids of invocations that expire at or before {@code nowMs}, at most {@code max}. */
  List<String> expired(long nowMs, int max);

  /** An in-memory store, for tests and dispatchers without the HTTP API. */
  static ApiInvocationStore inMemory() {
    return new ApiInvocationStore() {
      private final Map<String, ApiInvocation> byId = new HashMap<>();
      private final TreeMap<String, String> byExpiry = new TreeMap<>();

      private static String expiryKey(ApiInvocation inv, String id) {
        return String.format("%020d-%s", inv.getExpiresAtMs(), id);
      }

      @Override
      public ApiInvocation get(String invocationId) {
        return byId.get(invocationId);
      }

      @Override
      public void put(String invocationId, ApiInvocation invocation) {
        ApiInvocation old = byId.put(invocationId, invocation);
        if (old != null) {
          byExpiry.remove(expiryKey(old, invocationId));
        }
        byExpiry.put(expiryKey(invocation, invocationId), invocationId);
      }

      @Override
      public void delete(String invocationId) {
        ApiInvocation old = byId.remove(invocationId);
        if (old != null) {
          byExpiry.remove(expiryKey(old, invocationId));
        }
      }

      @Override
      public List<String> expired(long nowMs, int max) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : byExpiry.entrySet()) {
          if (out.size() >= max || byId.get(e.getValue()).getExpiresAtMs() > nowMs) {
            break;
          }
          out.add(e.getValue());
        }
        return out;
      }
    };
  }
}
