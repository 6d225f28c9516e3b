package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.ExpirationSpec;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.Action;
import io.kstatefun.runtime.internals.dispatch.CallOutcome;
import io.kstatefun.runtime.internals.dispatch.DispatchStores;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.dispatch.InMemoryDispatchStores;
import io.kstatefun.runtime.internals.dispatch.StateSpecRegistry;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One state-expiry check per address, however often a value with a TTL is rewritten: checks that
 * fall due between writes, overdue checks, and a TTL that gets shorter must not leave extra timers
 * behind (each costs store and changelog space, a state write when it fires, and counts toward
 * {@code kstatefun.max.pending.timers}). Runs on the production stores (RocksDB, through {@link
 * KafkaDispatchStores}) and on the in-memory stores the dispatcher's unit tests use.
 */
@Timeout(60)
class ExpiryCheckTimersTest {

  private static final int PARTITIONS = 4;
  private static final FunctionType TYPE = new FunctionType("example", "session");
  private static final String INT = "io.statefun.types/int";
  private static final long LONG_TTL = 10_000;
  private static final long SHORT_TTL = 1_000;
  private static final int REWRITES = 1_000;

  private final List<KeyValueStore<Bytes, byte[]>> opened = new ArrayList<>();

  @AfterEach
  void closeStores() {
    opened.forEach(KeyValueStore::close);
  }

  @Test
  void shouldKeepOneExpiryCheckPerAddressOverManyRewritesOnRocksDbStores(@TempDir Path dir) {
    MockProcessorContext<byte[], Object> context =
        new MockProcessorContext<>(new Properties(), new TaskId(0, 0), dir.toFile());
    KeyValueStore<Bytes, byte[]> mailbox = rocksDb(context, TopologyFactory.MAILBOX_STORE);
    KeyValueStore<Bytes, byte[]> state = rocksDb(context, TopologyFactory.STATE_STORE);
    KeyValueStore<Bytes, byte[]> timers = rocksDb(context, TopologyFactory.TIMER_STORE);
    rewriteManyTimes(
        new KafkaDispatchStores(mailbox, state, timers), () -> TestServices.timerRecords(timers));
  }

  @Test
  void shouldKeepOneExpiryCheckPerAddressOverManyRewritesOnInMemoryStores() {
    InMemoryDispatchStores stores = new InMemoryDispatchStores();
    rewriteManyTimes(stores, stores::timerCount);
  }

  /**
   * Rewrites one address's TTL'd value {@code REWRITES} times while time advances so that its check
   * falls due between writes, is overdue at a write, or fires and finds the value renewed; half
   * way, the TTL gets shorter. After every rewrite, the task has exactly one pending timer.
   */
  private void rewriteManyTimes(DispatchStores stores, LongSupplier storedTimers) {
    AtomicLong now = new AtomicLong(1_000_000);
    StateSpecRegistry specs = new StateSpecRegistry();
    specs.register(TYPE, List.of(ttlSpec(LONG_TTL)));
    String id = "alice";
    int partition = AddressPartitioner.partition(id, PARTITIONS);
    Address alice = new Address(TYPE, id);
    Dispatcher dispatcher =
        new Dispatcher(
            partition,
            PARTITIONS,
            stores,
            directory(),
            specs,
            now::get,
            Dispatcher.Limits.defaults(),
            new Dispatcher.Listener() {});
    TaskRegistry tasks = new TaskRegistry();
    tasks.register(partition, dispatcher);
    dispatcher.onRecover();

    List<Long> pendingAfterRewrite = new ArrayList<>();
    long ttl = LONG_TTL;
    for (int round = 0; round < REWRITES; round++) {
      if (round == REWRITES / 2) {
        ttl = SHORT_TTL; // the function now declares a shorter TTL than the pending check's
        specs.register(TYPE, List.of(ttlSpec(ttl)));
      }
      Action.Invoke call = onlyInvoke(dispatcher.onMessage(message(alice, "m" + round)));
      dispatcher.onResponse(
          CallOutcome.success(
              alice,
              call.requestId(),
              FromFunction.newBuilder()
                  .setInvocationResult(
                      InvocationResponse.newBuilder().addStateMutations(write(round)))
                  .build(),
              1));
      pendingAfterRewrite.add(tasks.pendingTimersTotal());
      switch (round % 4) {
        case 0 -> now.addAndGet(ttl + 1); // the check is overdue at the next write
        case 1 -> {
          now.addAndGet(ttl / 2); // the next write renews the value before its check fires
          dispatcher.onTimers();
        }
        case 2 -> {
          now.addAndGet(ttl / 2 + 1); // the check fires and finds the value renewed or expired
          dispatcher.onTimers();
        }
        default -> now.addAndGet(1);
      }
    }

    assertThat(tasks.pendingTimersTotal())
        .as(
            "pending timers (kstatefun_timers_pending) after %d rewrites of one address; most after one rewrite: %d",
            REWRITES, pendingAfterRewrite.stream().mapToLong(Long::longValue).max().orElse(0))
        .isEqualTo(1);
    assertThat(storedTimers.getAsLong()).as("timer records in the store").isEqualTo(1);
    assertThat(pendingAfterRewrite).as("pending timers after each rewrite").containsOnly(1L);

    // The one check removes the value once it has expired, and leaves nothing behind.
    now.addAndGet(ttl + 1);
    dispatcher.onTimers();
    assertThat(stores.state(alice)).isNull();
    assertThat(tasks.pendingTimersTotal()).isZero();
    assertThat(storedTimers.getAsLong()).isZero();
  }

  private static PersistedValueSpec ttlSpec(long ttl) {
    return PersistedValueSpec.newBuilder()
        .setStateName("seen")
        .setTypeTypename(INT)
        .setExpirationSpec(
            ExpirationSpec.newBuilder()
                .setMode(ExpirationSpec.ExpireMode.AFTER_WRITE)
                .setExpireAfterMillis(ttl))
        .build();
  }

  private static PersistedValueMutation write(int value) {
    return PersistedValueMutation.newBuilder()
        .setMutationType(MutationType.MODIFY)
        .setStateName("seen")
        .setStateValue(
            TypedValue.newBuilder()
                .setTypename(INT)
                .setHasValue(true)
                .setValue(
                    ByteString.copyFrom(java.nio.ByteBuffer.allocate(4).putInt(value).array())))
        .build();
  }

  private static Envelope message(Address target, String payload) {
    return Envelope.newBuilder()
        .setTarget(target.toProto())
        .setArgument(
            TypedValue.newBuilder()
                .setTypename("example/payload")
                .setHasValue(true)
                .setValue(ByteString.copyFromUtf8(payload)))
        .build();
  }

  private static Action.Invoke onlyInvoke(List<Action> actions) {
    assertThat(actions).hasSize(1).first().isInstanceOf(Action.Invoke.class);
    return (Action.Invoke) actions.get(0);
  }

  private static Dispatcher.Directory directory() {
    return new Dispatcher.Directory() {
      @Override
      public boolean hasFunction(FunctionType type) {
        return type.equals(TYPE);
      }

      @Override
      public boolean hasEgress(String egressId) {
        return false;
      }
    };
  }

  /** A RocksDB store like the runtime's (without the changelog, which the mock context lacks). */
  private KeyValueStore<Bytes, byte[]> rocksDb(
      MockProcessorContext<byte[], Object> context, String name) {
    KeyValueStore<Bytes, byte[]> store =
        TestServices.addStore(context, Stores.persistentKeyValueStore(name));
    opened.add(store);
    return store;
  }
}
