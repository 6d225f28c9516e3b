package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.runtime.internals.dispatch.ApiInvocationStore;
import io.kstatefun.runtime.internals.proto.ApiInvocation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ApiInvocationStore} on the task's changelogged store {@value TopologyFactory#API_STORE}.
 * Two kinds of keys: {@code 'i' + invocation id} -> {@link ApiInvocation}, and the expiry index
 * {@code 'x' + expires_at_ms (8 bytes, big-endian) + invocation id} -> empty, so that purging reads
 * only what expired.
 *
 * <p>Threading: owned by the task's stream thread.
 */
final class KafkaApiInvocationStore implements ApiInvocationStore {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaApiInvocationStore.class);
  private static final byte RECORD = 'i';
  private static final byte EXPIRY = 'x';
  private static final byte[] EMPTY = new byte[0];

  private final KeyValueStore<Bytes, byte[]> store;

  KafkaApiInvocationStore(KeyValueStore<Bytes, byte[]> store) {
    this.store = store;
  }

  @Override
  public ApiInvocation get(String invocationId) {
    byte[] v = store.get(recordKey(invocationId));
    if (v == null) {
      return null;
    }
    try {
      return ApiInvocation.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      // Only its retries are affected: they are delivered again as new invocations.
      LOG.warn(
          "Removing the unreadable record of HTTP API invocation {} from {}: {}",
          invocationId,
          TopologyFactory.API_STORE,
          e.getMessage());
      store.delete(recordKey(invocationId));
      return null;
    }
  }

  @Override
  public void put(String invocationId, ApiInvocation invocation) {
    ApiInvocation old = get(invocationId);
    if (old != null && old.getExpiresAtMs() != invocation.getExpiresAtMs()) {
      store.delete(expiryKey(old.getExpiresAtMs(), invocationId));
    }
    store.put(recordKey(invocationId), invocation.toByteArray());
    store.put(expiryKey(invocation.getExpiresAtMs(), invocationId), EMPTY);
  }

  @Override
  public void delete(String invocationId) {
    ApiInvocation old = get(invocationId);
    if (old != null) {
      store.delete(expiryKey(old.getExpiresAtMs(), invocationId));
      store.delete(recordKey(invocationId));
    }
  }

  @Override
  public List<String> expired(long nowMs, int max) {
    List<String> out = new ArrayList<>();
    List<Bytes> orphans = new ArrayList<>();
    Bytes from = Bytes.wrap(new byte[] {EXPIRY});
    Bytes to = expiryKey(nowMs, "\uffff");
    try (KeyValueIterator<Bytes, byte[]> it = store.range(from, to)) {
      while (it.hasNext() && out.size() < max) {
        KeyValue<Bytes, byte[]> kv = it.next();
        byte[] k = kv.key.get();
        String id = new String(k, 9, k.length - 9, StandardCharsets.UTF_8);
        if (store.get(recordKey(id)) == null) {
          orphans.add(kv.key); // an index entry without its record
        } else {
          out.add(id);
        }
      }
    }
    orphans.forEach(store::delete); // not while iterating
    return out;
  }

  private static Bytes recordKey(String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(1 + idBytes.length).put(RECORD).put(idBytes).array());
  }

  private static Bytes expiryKey(long expiresAt, String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(9 + idBytes.length)
            .put(EXPIRY)
            .putLong(Math.max(0, expiresAt))
            .put(idBytes)
            .array());
  }
}
