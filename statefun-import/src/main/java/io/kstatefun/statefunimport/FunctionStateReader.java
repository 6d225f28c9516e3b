package io.kstatefun.statefunimport;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.Address;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.State;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.internal.InternalListState;
import org.apache.flink.runtime.state.ttl.TtlValue;
import org.apache.flink.state.api.input.operator.StateReaderOperator;
import org.apache.flink.state.api.runtime.SavepointRuntimeContext;
import org.apache.flink.statefun.flink.core.message.Message;
import org.apache.flink.statefun.flink.core.message.MessageFactory;
import org.apache.flink.statefun.flink.core.message.MessageFactoryKey;
import org.apache.flink.statefun.flink.core.message.MessageFactoryType;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * Reads StateFun's function operator state with the State Processor API: for each address id (the
 * operator's key), all its function values grouped by function type, and for each due time of the
 * delayed-message buffer, its messages.
 *
 * <p>Keys are visited in two phases: first every id that has a value in one of the {@link
 * ReadState}s without namespace (each id once, {@link Slot#ADDRESS}), then every (id, due time) of
 * the delayed-message buffer ({@link Slot#DELAYED}). Flink runs it per key-group range split, on a
 * task thread; one instance reads one split.
 */
final class FunctionStateReader
    extends StateReaderOperator<FunctionStateReader.NoFunction, String, Slot, SavepointRecord> {

  private static final long serialVersionUID = 1L;

  /** The State Processor API wants a user function; this reader has none. */
  static final class NoFunction implements Function {
    private static final long serialVersionUID = 1L;
  }

  private final List<ReadState> states;
  private final String messageFactoryType;
  private final String customPayloadSerializer;

  private transient List<State> handles;
  private transient InternalListState<String, Long, Message> buffer;
  private transient String bufferName;
  private transient MessageFactory messageFactory;

  @SuppressWarnings({"unchecked", "rawtypes"})
  FunctionStateReader(
      List<ReadState> states, String messageFactoryType, String customPayloadSerializer) {
    super(new NoFunction(), Types.STRING, (TypeSerializer) VoidNamespaceSerializer.INSTANCE);
    this.states = List.copyOf(states);
    this.messageFactoryType = messageFactoryType;
    this.customPayloadSerializer = customPayloadSerializer;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void open() throws Exception {
    super.open();
    ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
    handles = new ArrayList<>();
    for (ReadState s : states) {
      TypeSerializerSnapshot<?> snapshot =
          TypeSerializerSnapshot.readVersionedSnapshot(
              new DataInputDeserializer(s.serializerSnapshot()), classLoader);
      TypeSerializer serializer = snapshot.restoreSerializer();
      if (s.kind() == ReadState.Kind.DELAYED_BUFFER) {
        TypeSerializer element = ((ListSerializer) serializer).getElementSerializer();
        buffer =
            (InternalListState<String, Long, Message>)
                getKeyedStateBackend()
                    .getOrCreateKeyedState(
                        LongSerializer.INSTANCE, new ListStateDescriptor<>(s.flinkName(), element));
        bufferName = s.flinkName();
        handles.add(null);
        continue;
      }
      State handle =
          switch (s.keyedStateType()) {
            case "LIST" ->
                getKeyedStateBackend()
                    .getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        new ListStateDescriptor<>(
                            s.flinkName(), ((ListSerializer) serializer).getElementSerializer()));
            case "MAP" ->
                getKeyedStateBackend()
                    .getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        new MapStateDescriptor<>(
                            s.flinkName(),
                            ((MapSerializer) serializer).getKeySerializer(),
                            ((MapSerializer) serializer).getValueSerializer()));
            default ->
                getKeyedStateBackend()
                    .getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        new ValueStateDescriptor<>(s.flinkName(), serializer));
          };
      handles.add(handle);
    }
    messageFactory =
        MessageFactory.forKey(
            MessageFactoryKey.forType(
                MessageFactoryType.valueOf(messageFactoryType), customPayloadSerializer));
  }

  @Override
  public CloseableIterator<Tuple2<String, Slot>> getKeysAndNamespaces(SavepointRuntimeContext ctx) {
    Iterator<Tuple2<String, Slot>> addresses = new DistinctKeys();
    Stream<Tuple2<String, Long>> delayed =
        bufferName == null
            ? Stream.empty()
            : getKeyedStateBackend().<Long>getKeysAndNamespaces(bufferName);
    Iterator<Tuple2<String, Long>> delayedIt = delayed.iterator();
    return new CloseableIterator<>() {
      @Override
      public boolean hasNext() {
        return addresses.hasNext() || delayedIt.hasNext();
      }

      @Override
      public Tuple2<String, Slot> next() {
        if (addresses.hasNext()) {
          return addresses.next();
        }
        Tuple2<String, Long> t = delayedIt.next();
        return Tuple2.of(t.f0, Slot.delayed(t.f1));
      }

      @Override
      public void remove() {
        // nothing to remove: the reader only reads
      }

      @Override
      public void close() {
        delayed.close();
      }
    };
  }

  @Override
  public void processElement(String key, Slot slot, Collector<SavepointRecord> out)
      throws Exception {
    int before = emitted;
    if (slot.kind == Slot.ADDRESS) {
      readAddress(key, out);
    } else {
      readDelayed(key, slot.dueMs, out);
    }
    if (emitted == before) {
      out.collect(SavepointRecord.of(SavepointRecord.NONE, key));
    }
  }

  private transient int emitted;

  private void emit(Collector<SavepointRecord> out, SavepointRecord record) {
    emitted++;
    out.collect(record);
  }

  private void readAddress(String id, Collector<SavepointRecord> out) throws Exception {
    Map<String, AddressState.Builder> byType = new LinkedHashMap<>();
    for (int i = 0; i < states.size(); i++) {
      ReadState s = states.get(i);
      State handle = handles.get(i);
      switch (s.kind()) {
        case REMOTE_VALUE -> {
          Object v = ((ValueState<?>) handle).value();
          if (v == null) {
            continue;
          }
          byte[] bytes = s.ttl() ? (byte[]) ((TtlValue<?>) v).getUserValue() : (byte[]) v;
          String typename = s.typename();
          AddressState.Builder address =
              byType.computeIfAbsent(
                  s.functionType(), t -> AddressState.newBuilder().setAddress(address(t, id)));
          address.addValues(
              StoredValue.newBuilder()
                  .setName(s.stateName())
                  .setTypename(typename)
                  .setValue(ByteString.copyFrom(bytes)));
        }
        case NOT_CARRIED -> {
          if (hasValue(handle)) {
            SavepointRecord r = SavepointRecord.of(SavepointRecord.NOT_CARRIED, id);
            r.state = i;
            emit(out, r);
          }
        }
        case BATCH -> {
          int n = count(((ListState<?>) handle).get());
          if (n > 0) {
            SavepointRecord r = SavepointRecord.of(SavepointRecord.BATCHED, id);
            r.state = i;
            r.count = n;
            emit(out, r);
          }
        }
        case ASYNC_OPERATIONS -> {
          Iterable<?> entries = ((MapState<?, ?>) handle).keys();
          int n = count(entries);
          if (n > 0) {
            SavepointRecord r = SavepointRecord.of(SavepointRecord.IN_FLIGHT, id);
            r.state = i;
            r.count = n;
            emit(out, r);
          }
        }
        default -> {}
      }
    }
    for (Map.Entry<String, AddressState.Builder> e : byType.entrySet()) {
      SavepointRecord r = SavepointRecord.of(SavepointRecord.ADDRESS, id);
      r.functionType = e.getKey();
      r.bytes = e.getValue().build().toByteArray();
      emit(out, r);
    }
  }

  private void readDelayed(String id, long dueMs, Collector<SavepointRecord> out) throws Exception {
    buffer.setCurrentNamespace(dueMs);
    Iterable<Message> messages = buffer.get();
    if (messages == null) {
      return;
    }
    ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
    for (Message m : messages) {
      Object payload = m.payload(messageFactory, classLoader);
      org.apache.flink.statefun.sdk.Address target = m.target();
      String targetType = target.type().namespace() + "/" + target.type().name();
      if (!(payload instanceof org.apache.flink.statefun.sdk.reqreply.generated.TypedValue typed)) {
        SavepointRecord r = SavepointRecord.of(SavepointRecord.DELAYED_NOT_CARRIED, id);
        r.functionType = targetType;
        r.time = dueMs;
        emit(out, r);
        continue;
      }
      Envelope.Builder envelope =
          Envelope.newBuilder()
              .setTarget(address(target))
              .setArgument(
                  TypedValue.newBuilder()
                      .setTypename(typed.getTypename())
                      .setHasValue(typed.getHasValue())
                      .setValue(ByteString.copyFrom(typed.getValue().toByteArray())));
      if (m.source() != null) {
        envelope.setCaller(address(m.source()));
      }
      TimerEntry.Builder timer = TimerEntry.newBuilder().setEnvelope(envelope).setDueMs(dueMs);
      m.cancellationToken().ifPresent(timer::setCancellationToken);
      SavepointRecord r = SavepointRecord.of(SavepointRecord.DELAYED, id);
      r.functionType = targetType;
      r.time = dueMs;
      r.bytes = timer.build().toByteArray();
      emit(out, r);
    }
  }

  private static Address address(String functionType, String id) {
    int slash = functionType.indexOf('/');
    return Address.newBuilder()
        .setNamespace(functionType.substring(0, slash))
        .setType(functionType.substring(slash + 1))
        .setId(id)
        .build();
  }

  private static Address address(org.apache.flink.statefun.sdk.Address a) {
    return Address.newBuilder()
        .setNamespace(a.type().namespace())
        .setType(a.type().name())
        .setId(a.id())
        .build();
  }

  private static boolean hasValue(State handle) throws Exception {
    if (handle instanceof ValueState<?> v) {
      return v.value() != null;
    }
    if (handle instanceof ListState<?> l) {
      return count(l.get()) > 0;
    }
    if (handle instanceof MapState<?, ?> m) {
      return !m.isEmpty();
    }
    return false;
  }

  private static int count(Iterable<?> items) {
    if (items == null) {
      return 0;
    }
    int n = 0;
    for (Object ignored : items) {
      n++;
    }
    return n;
  }

  /**
   * Every id with a value in at least one state without namespace, each once: an id of state i is
   * skipped if one of the states before it has a value for it (what Flink's own multi-state key
   * iterator does).
   */
  private final class DistinctKeys implements Iterator<Tuple2<String, Slot>> {
    private int state = -1;
    private Iterator<String> keys = java.util.Collections.emptyIterator();
    private Stream<String> stream;
    private String next;

    @Override
    public boolean hasNext() {
      try {
        while (next == null) {
          if (keys.hasNext()) {
            String k = keys.next();
            if (!seenBefore(k)) {
              next = k;
            }
            continue;
          }
          if (stream != null) {
            // a closed RocksDB iterator must never be touched again (native crash)
            stream.close();
            stream = null;
            keys = java.util.Collections.emptyIterator();
          }
          state++;
          while (state < states.size() && handles.get(state) == null) {
            state++;
          }
          if (state >= states.size()) {
            return false;
          }
          stream =
              getKeyedStateBackend().getKeys(states.get(state).flinkName(), VoidNamespace.INSTANCE);
          keys = stream.iterator();
        }
        return true;
      } catch (Exception e) {
        throw new IllegalStateException("reading the keys of the savepoint's function state", e);
      }
    }

    private boolean seenBefore(String key) throws Exception {
      getKeyedStateBackend().setCurrentKey(key);
      for (int j = 0; j < state; j++) {
        State h = handles.get(j);
        if (h != null && hasValue(h)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public Tuple2<String, Slot> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      String k = next;
      next = null;
      return Tuple2.of(k, Slot.ADDRESS_SLOT);
    }
  }
}
