package io.kstatefun.runtime.internals.dispatch;

/** The dispatcher's scenarios on {@link InMemoryDispatchStores}. */
class InMemoryStoresDispatcherTest extends DispatcherTest {

  @Override
  Stores newStores() {
    InMemoryDispatchStores maps = new InMemoryDispatchStores();
    return new Stores() {
      @Override
      public DispatchStores open() {
        return maps; // keeps nothing but the durable data itself
      }

      @Override
      public long entries() {
        return maps.entries.size();
      }

      @Override
      public long timers() {
        return maps.timers.size();
      }

      @Override
      public long tokens() {
        return maps.tokens.size();
      }
    };
  }
}
