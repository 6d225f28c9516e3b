package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.runtime.internals.topology.KafkaDispatchStoresHarness;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher's scenarios on {@code KafkaDispatchStores} over the shell's changelogged, cached
 * RocksDB stores, as a {@code TopologyTestDriver} hands them out.
 */
class RocksDbStoresDispatcherTest extends DispatcherTest {

  @TempDir Path stateDir;

  @Override
  Stores newStores() {
    KafkaDispatchStoresHarness harness = new KafkaDispatchStoresHarness(stateDir);
    return new Stores() {
      @Override
      public DispatchStores open() {
        return harness.open();
      }

      @Override
      public long entries() {
        return harness.mailboxEntries();
      }

      @Override
      public long timers() {
        return harness.timers();
      }

      @Override
      public long tokens() {
        return harness.timerTokens();
      }

      @Override
      public void close() {
        harness.close();
      }
    };
  }
}
