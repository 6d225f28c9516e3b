package io.kstatefun.runtime.internals.topology;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads an address's stores from outside the stream threads, for the HTTP API: where the address
 * lives (Kafka Streams' metadata with kstatefun's partitioner), its stored state, its mailbox,
 * timers and in-flight batch, and a way to wait for the owning thread's next commit.
 *
 * <p>Threading: any thread. Store reads go through Kafka Streams' interactive queries (read-only
 * views that are safe to use next to the stream thread); the in-flight batch and the task list come
 * from snapshots the stream threads publish ({@link TaskRegistry}, {@link Dispatcher#inFlight}).
 * Reads are not atomic across stores: the debug view may combine values of slightly different
 * moments.
 */
public final class StateQueries {

  /** Every store of the topology holds its address keys on the address's partition. */
  private static final StreamPartitioner<Address, Object> BY_ADDRESS =
      (topic, address, value, numPartitions) ->
          Optional.of(Set.of(AddressPartitioner.partition(address.id(), numPartitions)));

  private static final ByteArraySerializer PREFIX = new ByteArraySerializer();

  private final KafkaStreams streams;
  private final RuntimeServices services;
  private final int numPartitions;

  public StateQueries(KafkaStreams streams, RuntimeServices services, int numPartitions) {
    this.streams = streams;
    this.services = services;
    this.numPartitions = numPartitions;
  }

  /** The partition that owns {@code address}. */
  public int partitionOf(Address address) {
    return AddressPartitioner.partition(address.id(), numPartitions);
  }

  /** Whether the module has an endpoint for {@code address}'s function type. */
  public boolean knownType(Address address) {
    return services.directory().hasFunction(address.type());
  }

  /**
   * Which instances host {@code address}'s partition, per Kafka Streams' metadata (a point-in-time
   * view; {@link KeyQueryMetadata#NOT_AVAILABLE} while a rebalance has not assigned it).
   */
  public KeyQueryMetadata owner(Address address) {
    return streams.queryMetadataForKey(TopologyFactory.STATE_STORE, address, BY_ADDRESS);
  }

  /**
   * Whether this instance runs the active task of {@code partition} now, restored and processing
   * (its dispatcher is registered once the task's stores are restored).
   */
  public boolean activeHere(int partition) {
    return services.tasks().dispatcher(partition) != null;
  }

  /**
   * How far this instance's copy of {@code partition}'s state lags behind its changelog (records),
   * when it holds one (a standby, or an active task being restored); empty otherwise.
   */
  public Optional<Long> localLag(int partition) {
    Map<String, Map<Integer, LagInfo>> lags = streams.allLocalStorePartitionLags();
    Map<Integer, LagInfo> state = lags.get(TopologyFactory.STATE_STORE);
    LagInfo lag = state == null ? null : state.get(partition);
    return lag == null ? Optional.empty() : Optional.of(lag.offsetLag());
  }

  /**
   * The stored state of {@code address} in this instance's copy of its partition (active or
   * standby: the caller checks which with {@link #activeHere} and {@link #localLag}), or null.
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException if this instance holds no
   *     copy of the partition now (it moved away)
   */
  public StoredState state(Address address) {
    byte[] v =
        store(TopologyFactory.STATE_STORE, partitionOf(address))
            .get(Bytes.wrap(StoreKeys.address(address)));
    if (v == null) {
      return null;
    }
    try {
      return StoredState.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "the stored state of " + address + " cannot be parsed: " + e.getMessage(), e);
    }
  }

  /**
   * Why an address may not make progress: its mailbox backlog, the batch in flight, its pending
   * timers (a bounded scan) and how busy its task is. Reads the active task only.
   *
   * @param maxTimersScanned most timers of the task looked at
   */
  public Debug debug(Address address, int maxTimersScanned) {
    int partition = partitionOf(address);
    ReadOnlyKeyValueStore<Bytes, byte[]> mailbox = store(TopologyFactory.MAILBOX_STORE, partition);
    MailboxHeader header = parse(mailbox.get(Bytes.wrap(StoreKeys.header(address))), true);
    Envelope oldest = null;
    if (header != null) {
      oldest = parse(mailbox.get(Bytes.wrap(StoreKeys.entry(address, header.getHeadSeq()))), false);
    }
    List<PendingTimer> timers = new ArrayList<>();
    int scanned = 0;
    ReadOnlyKeyValueStore<Bytes, byte[]> timerStore = store(TopologyFactory.TIMER_STORE, partition);
    io.kstatefun.protocol.Address proto = address.toProto();
    try (KeyValueIterator<Bytes, byte[]> it =
        timerStore.prefixScan(new byte[] {StoreKeys.TIMER}, PREFIX)) {
      while (it.hasNext() && scanned < maxTimersScanned) {
        scanned++;
        byte[] value = it.next().value;
        PendingTimer timer;
        try {
          timer = PendingTimer.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
          continue; // the dispatcher dead-letters it when it comes due
        }
        if (proto.equals(timer.getExpiryCheck())
            || proto.equals(timer.getEnvelope().getTarget())
            || proto.equals(timer.getEnvelope().getCaller())) {
          timers.add(timer);
        }
      }
    }
    boolean complete = scanned < maxTimersScanned;
    Dispatcher dispatcher = services.tasks().dispatcher(partition);
    Dispatcher.InFlightView flight = dispatcher == null ? null : dispatcher.inFlight(address);
    return new Debug(
        partition,
        header,
        oldest,
        flight,
        timers,
        scanned,
        complete,
        dispatcher == null ? -1 : dispatcher.inFlightCount(),
        dispatcher == null ? -1 : dispatcher.maxInFlight(),
        dispatcher == null ? -1 : dispatcher.waitingAddresses(),
        dispatcher == null ? -1 : dispatcher.pendingTimers());
  }

  /**
   * What the debug view found for an address.
   *
   * @param header its mailbox header, null when its mailbox is empty
   * @param oldest the oldest queued message, null when none
   * @param inFlight the batch in flight, null when none
   * @param timers its pending timers found (delayed messages to or from it, its state expiry check)
   * @param timersScanned how many timers of the task were looked at
   * @param timersComplete whether every timer of the task was looked at
   * @param taskInFlight addresses of the task with a request in flight
   * @param taskMaxInFlight the most the task may have
   * @param taskWaiting addresses of the task waiting for an in-flight slot
   * @param taskTimers pending timers of the task
   */
  public record Debug(
      int partition,
      MailboxHeader header,
      Envelope oldest,
      Dispatcher.InFlightView inFlight,
      List<PendingTimer> timers,
      int timersScanned,
      boolean timersComplete,
      int taskInFlight,
      int taskMaxInFlight,
      int taskWaiting,
      long taskTimers) {}

  /**
   * The number of commits completed by the stream thread that runs {@code partition}'s active task,
   * as a live counter, or null when no local thread runs it. Kafka Streams counts a commit ({@code
   * commit-total}) only once its transaction is committed, and one commit covers every task of the
   * thread. The counter is looked up once: if the thread is replaced, it stops moving.
   */
  public java.util.function.LongSupplier commitCounter(int partition) {
    String thread = threadOf(partition);
    if (thread == null) {
      return null;
    }
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      if (name.name().equals("commit-total")
          && name.group().equals("stream-thread-metrics")
          && thread.equals(name.tags().get("thread-id"))) {
        Metric metric = e.getValue();
        return () -> metric.metricValue() instanceof Number n ? n.longValue() : -1;
      }
    }
    return null;
  }

  /**
   * Makes the task of {@code partition} process a record soon (a doorbell ring) and request a
   * commit then, so that its thread commits within the commit pacer's minimum interval ({@code
   * kstatefun.commit.min.interval.ms}) rather than {@code commit.interval.ms}. Never blocks.
   */
  public void wake(int partition) {
    services.requestCommit(partition);
  }

  private String threadOf(int partition) {
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (TaskMetadata task : thread.activeTasks()) {
        if (task.taskId().partition() == partition) {
          return thread.threadName();
        }
      }
    }
    return null;
  }

  private ReadOnlyKeyValueStore<Bytes, byte[]> store(String name, int partition) {
    // Active reads also pass enableStaleStores(): without it Kafka Streams refuses every query
    // while the stream thread restores any task (e.g. one it just took over), even for the
    // partitions it runs. Whether the partition is active and restored here is checked by the
    // caller (activeHere).
    StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, byte[]>> params =
        StoreQueryParameters.fromNameAndType(
                name, QueryableStoreTypes.<Bytes, byte[]>keyValueStore())
            .withPartition(partition)
            .enableStaleStores();
    return streams.store(params);
  }

  @SuppressWarnings("unchecked")
  private static <T> T parse(byte[] v, boolean header) {
    if (v == null) {
      return null;
    }
    try {
      return (T) (header ? MailboxHeader.parseFrom(v) : Envelope.parseFrom(v));
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}
