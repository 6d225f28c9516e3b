package io.kstatefun.runtime.internals.topology;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.http.FunctionClient;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the {@link RuntimeServices} of a {@link DispatchProcessor} under test, and the stores of
 * its mock context ({@link #addStore}). The services: the functions {@code example/*} behind an
 * endpoint nobody listens on ({@link #FUNCTIONS}), plus the module documents a test adds; a
 * function client, alarms, clock and partition count of the test's choosing; no doorbell, no
 * listener, every egress topic present unless the test says otherwise.
 */
final class TestServices {

  /** The module document every test starts from. */
  static final String FUNCTIONS =
      String.join(
          "\n",
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: http://127.0.0.1:1/{function.name}",
          "");

  private final Map<String, Object> settings = new HashMap<>();
  private final StringBuilder module = new StringBuilder(FUNCTIONS);
  private FunctionClient client = answering(request -> new CompletableFuture<>());
  private ScheduledExecutorService alarms;
  private int partitions = 1;
  private LongSupplier clock = System::currentTimeMillis;
  private EgressTopicCheck egressTopics = topic -> true;

  private TestServices(String applicationId) {
    settings.put("application.id", applicationId);
  }

  /** Services of the application {@code applicationId}, with a client that never answers. */
  static TestServices forApp(String applicationId) {
    return new TestServices(applicationId);
  }

  /** A function client whose calls {@code answer} answers; on the caller's thread. */
  static FunctionClient answering(
      Function<ToFunction, CompletableFuture<FunctionClient.Reply>> answer) {
    return new FunctionClient() {
      @Override
      public CompletableFuture<Reply> call(Address target, ToFunction request) {
        return answer.apply(request);
      }

      @Override
      public void close() {}
    };
  }

  /** A function client that answers every call with {@code response} at once. */
  static FunctionClient respondingWith(FromFunction response) {
    return answering(
        request -> CompletableFuture.completedFuture(new FunctionClient.Reply(response, 1)));
  }

  /** Adds kstatefun.* or Kafka Streams settings. */
  TestServices settings(Map<String, ?> more) {
    settings.putAll(more);
    return this;
  }

  /** Adds a module document (YAML, without the {@code ---} separator) after {@link #FUNCTIONS}. */
  TestServices moduleDocument(String... lines) {
    module.append("---\n").append(String.join("\n", lines)).append('\n');
    return this;
  }

  TestServices client(FunctionClient client) {
    this.client = client;
    return this;
  }

  TestServices alarms(ScheduledExecutorService alarms) {
    this.alarms = alarms;
    return this;
  }

  TestServices partitions(int partitions) {
    this.partitions = partitions;
    return this;
  }

  TestServices clock(LongSupplier clock) {
    this.clock = clock;
    return this;
  }

  TestServices egressTopics(EgressTopicCheck egressTopics) {
    this.egressTopics = egressTopics;
    return this;
  }

  RuntimeServices build() {
    return new RuntimeServices(
        new KStatefunConfig(settings),
        ModuleParser.parse(module.toString(), "module.yaml"),
        client,
        null,
        alarms,
        partitions,
        clock,
        RuntimeListener.NONE,
        egressTopics);
  }

  /**
   * Adds a store (no changelog, which the mock context lacks) to {@code context}, opened, and
   * returns it: e.g. {@code Stores.inMemoryKeyValueStore(TopologyFactory.MAILBOX_STORE)}, or {@code
   * Stores.persistentKeyValueStore(...)} for RocksDB like the runtime's (the caller closes it).
   */
  static KeyValueStore<Bytes, byte[]> addStore(
      MockProcessorContext<?, ?> context, KeyValueBytesStoreSupplier supplier) {
    KeyValueStore<Bytes, byte[]> store =
        Stores.keyValueStoreBuilder(supplier, Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  /** The timer records actually in a timer store (not the maintained count). */
  static long timerRecords(KeyValueStore<Bytes, byte[]> timers) {
    long n = 0;
    try (KeyValueIterator<Bytes, byte[]> it =
        timers.prefixScan(new byte[] {StoreKeys.TIMER}, new ByteArraySerializer())) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }
}
