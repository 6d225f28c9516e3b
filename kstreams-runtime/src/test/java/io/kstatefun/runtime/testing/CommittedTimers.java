package io.kstatefun.runtime.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * The timers a runtime has committed, read from the changelog of its timer store with {@code
 * read_committed}: what a restarted instance would find after a kill -9. The key layout is the
 * runtime's ({@code StoreKeys}): {@code 0x01 due seq} for a pending timer, {@code 0x02 sender
 * token} for a cancellation token.
 *
 * <p>Threading: one thread at a time (it owns a consumer).
 */
public final class CommittedTimers implements AutoCloseable {

  /** The runtime's timer store ({@code TopologyFactory.TIMER_STORE}). */
  public static final String TIMER_STORE = "kstatefun-timers";

  /** The first byte of a pending timer's key ({@code StoreKeys.TIMER}). */
  public static final byte TIMER = 0x01;

  /** The first byte of a cancellation token's key ({@code StoreKeys.TOKEN}). */
  public static final byte TOKEN = 0x02;

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<ByteBuffer, byte[]> live = new HashMap<>();

  public CommittedTimers(String bootstrap, String applicationId) {
    this.consumer =
        KafkaIO.committedReader(bootstrap, applicationId + "-" + TIMER_STORE + "-changelog");
  }

  /** Reads what was committed since the last call. */
  public CommittedTimers refresh() {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
      if (r.value() == null) {
        live.remove(ByteBuffer.wrap(r.key()));
      } else {
        live.put(ByteBuffer.wrap(r.key()), r.value());
      }
    }
    return this;
  }

  /** Pending timers (delayed messages and expiry checks) as of the last {@link #refresh}. */
  public long pending() {
    return count(TIMER);
  }

  /** Cancellation tokens as of the last {@link #refresh}. */
  public long tokens() {
    return count(TOKEN);
  }

  private long count(byte prefix) {
    return live.keySet().stream().filter(k -> k.remaining() > 0 && k.get(0) == prefix).count();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
