package io.kstatefun.runtime.internals.topology;

import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.internals.dispatch.DispatchStores;
import java.nio.file.Path;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link KafkaDispatchStores} over the stores the shell really uses — persistent RocksDB, cached,
 * changelogged, built by {@link TopologyFactory} — handed out by a {@code TopologyTestDriver}, for
 * store contract tests outside this package. The topology's own processor stays idle: the driver
 * gets no record and no wall-clock advance.
 */
public final class KafkaDispatchStoresHarness implements AutoCloseable {

  private final ShellDriver shell;

  public KafkaDispatchStoresHarness(Path stateDir) {
    this.shell =
        new ShellDriver(stateDir, TestServices.FUNCTIONS, java.util.Map.of(), RuntimeListener.NONE);
  }

  /** A new view of the stores, as a (re)started task gets it: nothing cached from earlier views. */
  public DispatchStores open() {
    return shell.stores();
  }

  /** Mailbox entries (queued messages) in the store. */
  public long mailboxEntries() {
    return count(TopologyFactory.MAILBOX_STORE, StoreKeys.ENTRY);
  }

  /** Timers (delayed messages and expiry checks) in the store, by their due-time keys. */
  public long timers() {
    return count(TopologyFactory.TIMER_STORE, StoreKeys.TIMER);
  }

  /** Cancellation tokens in the store. */
  public long timerTokens() {
    return count(TopologyFactory.TIMER_STORE, StoreKeys.TOKEN);
  }

  private long count(String store, byte prefix) {
    KeyValueStore<Bytes, byte[]> kv = shell.driver.getKeyValueStore(store);
    long n = 0;
    try (KeyValueIterator<Bytes, byte[]> it = kv.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> e = it.next();
        if (e.key.get().length > 0 && e.key.get()[0] == prefix) {
          n++;
        }
      }
    }
    return n;
  }

  @Override
  public void close() {
    shell.close();
  }
}
