package io.kstatefun.statefunimport;

import java.io.DataInputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.typeutils.CompositeTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import org.apache.flink.state.api.runtime.OperatorIDGenerator;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.statefun.flink.core.message.MessageFactoryKey;
import org.apache.flink.statefun.flink.core.types.remote.RemoteValueSerializerSnapshot;

/**
 * The layout of a StateFun 3.3.0 savepoint, read from its metadata without running a job: the
 * function operator's keyed states (from the header of its state files: names and serializer
 * snapshots) and the other operators with state.
 *
 * <p>Facts this relies on (StateFun 3.3.0 on Flink 1.16.2): the function operator has uid {@code
 * functions_uid1} and is keyed by the address id (a {@code String}); a remote function's value is a
 * Flink {@code ValueState<byte[]>} named {@code <namespace>.<function name>.<state name>} whose
 * serializer snapshot ({@code RemoteValueSerializerSnapshot}) carries the value's typename, wrapped
 * in Flink's TTL serializer when the function declared an expiration; delayed messages are in the
 * list state {@code delayed-messages-buffer} with the due time (ms) as namespace.
 */
final class StatefunSavepoint {

  static final String FUNCTIONS_UID = "functions_uid1";
  static final String FEEDBACK_UNION_UID = "feedback_union_uid1";
  static final String FEEDBACK_UID = "feedback_uid1";
  static final String DELAYED_BUFFER = "delayed-messages-buffer";
  static final String DELAYED_INDEX = "delayed-message-index";
  static final String ASYNC_OPERATIONS = "asyncOperations";

  final String path;
  final CheckpointMetadata metadata;
  final OperatorState functions;
  final List<ReadState> states = new ArrayList<>();

  /** Keyed states the reader skips on purpose (timers, the token index, request counters). */
  final List<String> internalStates = new ArrayList<>();

  String messageFactoryType = "WITH_PROTOBUF_PAYLOADS";
  String customPayloadSerializer;

  private StatefunSavepoint(String path, CheckpointMetadata metadata, OperatorState functions) {
    this.path = path;
    this.metadata = metadata;
    this.functions = functions;
  }

  static StatefunSavepoint load(String path, ModuleSpec module) throws IOException {
    CheckpointMetadata metadata = SavepointLoader.loadSavepointMetadata(path);
    OperatorState functions = operator(metadata, FUNCTIONS_UID);
    if (functions == null) {
      throw new IOException(
          "savepoint "
              + path
              + " has no state for StateFun's function operator (uid "
              + FUNCTIONS_UID
              + "): is it a StateFun 3.x job's savepoint?");
    }
    StatefunSavepoint sp = new StatefunSavepoint(path, metadata, functions);
    sp.classify(metaInfos(path, functions), module);
    return sp;
  }

  static OperatorState operator(CheckpointMetadata metadata, String uid) {
    OperatorID id = OperatorIDGenerator.fromUid(uid);
    for (OperatorState s : metadata.getOperatorStates()) {
      if (s.getOperatorID().equals(id)) {
        return s;
      }
    }
    return null;
  }

  /** The union of the keyed state meta infos of all subtasks' state files. */
  private static Map<String, StateMetaInfoSnapshot> metaInfos(String path, OperatorState op)
      throws IOException {
    Map<String, StateMetaInfoSnapshot> out = new LinkedHashMap<>();
    ClassLoader cl = StatefunSavepoint.class.getClassLoader();
    for (OperatorSubtaskState subtask : op.getStates()) {
      for (KeyedStateHandle handle : subtask.getManagedKeyedState()) {
        if (!(handle instanceof KeyGroupsStateHandle kg)) {
          throw new IOException(
              "savepoint "
                  + path
                  + " holds keyed state as "
                  + handle.getClass().getSimpleName()
                  + ": only savepoints in Flink's canonical format can be read (take it with"
                  + " `flink stop --type canonical`, the default)");
        }
        try (FSDataInputStream in = kg.openInputStream()) {
          KeyedBackendSerializationProxy<String> proxy = new KeyedBackendSerializationProxy<>(cl);
          proxy.read(new DataInputViewStreamWrapper(in));
          for (StateMetaInfoSnapshot meta : proxy.getStateMetaInfoSnapshots()) {
            out.putIfAbsent(meta.getName(), meta);
          }
        }
      }
    }
    return out;
  }

  private void classify(Map<String, StateMetaInfoSnapshot> metas, ModuleSpec module)
      throws IOException {
    for (StateMetaInfoSnapshot meta : metas.values()) {
      String name = meta.getName();
      if (meta.getBackendStateType() != StateMetaInfoSnapshot.BackendStateType.KEY_VALUE) {
        internalStates.add(name + " (timers; the due times come from " + DELAYED_BUFFER + ")");
        continue;
      }
      String keyedType = meta.getOption(StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE);
      TypeSerializerSnapshot<?> value =
          meta.getTypeSerializerSnapshot(
              StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER);
      byte[] snapshot = versioned(value);
      if (name.equals(DELAYED_BUFFER)) {
        factoryKeyOf(value.restoreSerializer())
            .ifPresent(
                k -> {
                  messageFactoryType = k.getType().name();
                  customPayloadSerializer = k.getCustomPayloadSerializerClassName().orElse(null);
                });
        states.add(
            new ReadState(
                name, ReadState.Kind.DELAYED_BUFFER, keyedType, null, null, null, false, snapshot));
        continue;
      }
      if (name.equals(DELAYED_INDEX)) {
        internalStates.add(name + " (cancellation token index; tokens come with the messages)");
        continue;
      }
      if (name.equals(ASYNC_OPERATIONS)) {
        states.add(
            new ReadState(
                name,
                ReadState.Kind.ASYNC_OPERATIONS,
                keyedType,
                null,
                null,
                null,
                false,
                snapshot));
        continue;
      }
      RemoteValueSerializerSnapshot remote = null;
      boolean ttl = false;
      if (value instanceof RemoteValueSerializerSnapshot r) {
        remote = r;
      } else if (value instanceof CompositeTypeSerializerSnapshot<?, ?> composite
          && value.getClass().getName().contains("TtlSerializerSnapshot")) {
        TypeSerializerSnapshot<?>[] nested = composite.getNestedSerializerSnapshots();
        if (nested.length == 2 && nested[1] instanceof RemoteValueSerializerSnapshot r) {
          remote = r;
          ttl = true;
        }
      }
      String[] resolved = module.resolveFlinkStateName(name);
      if (remote != null && resolved != null && module.isRemote(resolved[0])) {
        states.add(
            new ReadState(
                name,
                ReadState.Kind.REMOTE_VALUE,
                keyedType,
                resolved[0],
                resolved[1],
                remote.type().canonicalTypenameString(),
                ttl,
                snapshot));
      } else if (remote == null && name.endsWith(".request-state")) {
        internalStates.add(name + " (StateFun's in-flight request counter)");
      } else if (remote == null && name.endsWith(".batch") && "LIST".equals(keyedType)) {
        states.add(
            new ReadState(
                name, ReadState.Kind.BATCH, keyedType, null, null, null, false, snapshot));
      } else {
        states.add(
            new ReadState(
                name,
                ReadState.Kind.NOT_CARRIED,
                keyedType,
                null,
                remote != null
                    ? "a remote function's value, but its function type is not bound by an"
                        + " endpoint of the module"
                    : "not a remote function's value (an embedded function's state?)",
                null,
                false,
                snapshot));
      }
    }
  }

  private static byte[] versioned(TypeSerializerSnapshot<?> snapshot) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(256);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
    return out.getCopyOfBuffer();
  }

  /** The message factory StateFun wrote delayed messages with (its serializer's private key). */
  private static Optional<MessageFactoryKey> factoryKeyOf(TypeSerializer<?> listSerializer) {
    try {
      Object element = ((ListSerializer<?>) listSerializer).getElementSerializer();
      Field f = element.getClass().getDeclaredField("messageFactoryKey");
      f.setAccessible(true);
      return Optional.of((MessageFactoryKey) f.get(element));
    } catch (ReflectiveOperationException | ClassCastException e) {
      return Optional.empty();
    }
  }

  /** Operators with state other than the function operator: uid if known, else the id. */
  Map<String, Long> otherOperators(ModuleSpec module) {
    Map<String, String> known = new LinkedHashMap<>();
    known.put(OperatorIDGenerator.fromUid(FEEDBACK_UNION_UID).toHexString(), FEEDBACK_UNION_UID);
    known.put(OperatorIDGenerator.fromUid(FEEDBACK_UID).toHexString(), FEEDBACK_UID);
    for (ModuleSpec.KafkaIngress i : module.kafkaIngresses()) {
      known.put(OperatorIDGenerator.fromUid(i.sourceUid()).toHexString(), i.sourceUid());
    }
    for (String egress : module.kafkaEgresses()) {
      String uid = ModuleSpec.egressSinkUid(egress);
      known.put(OperatorIDGenerator.fromUid(uid).toHexString(), uid);
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (OperatorState s : metadata.getOperatorStates()) {
      if (s.equals(functions) || s.getStateSize() == 0) {
        continue;
      }
      String hex = s.getOperatorID().toHexString();
      out.put(known.getOrDefault(hex, "operator " + hex), s.getStateSize());
    }
    return out;
  }

  /**
   * Messages in StateFun's feedback loop when the savepoint was taken: the feedback operator logs
   * them into its raw keyed state, per key group a header (int version 0, int magic 710818519), an
   * int count and the messages.
   */
  long feedbackMessages() throws IOException {
    OperatorState union = operator(metadata, FEEDBACK_UNION_UID);
    if (union == null) {
      return 0;
    }
    long messages = 0;
    for (OperatorSubtaskState s : union.getStates()) {
      for (KeyedStateHandle h : s.getRawKeyedState()) {
        if (!(h instanceof KeyGroupsStateHandle kg)) {
          throw new IOException("unexpected raw state of " + FEEDBACK_UNION_UID + ": " + h);
        }
        try (FSDataInputStream in = kg.openInputStream()) {
          DataInputStream data = new DataInputStream(in);
          for (Tuple2<Integer, Long> group : kg.getGroupRangeOffsets()) {
            in.seek(group.f1);
            int first = data.readInt();
            if (first == 0) {
              int magic = data.readInt();
              messages += magic == FEEDBACK_MAGIC ? data.readInt() : 0;
            } else {
              messages += first;
            }
          }
        }
      }
    }
    return messages;
  }

  private static final int FEEDBACK_MAGIC = 710818519;
}
