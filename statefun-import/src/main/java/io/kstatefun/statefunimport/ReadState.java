package io.kstatefun.statefunimport;

import java.io.Serializable;

/**
 * One Flink keyed state of StateFun's function operator, as the reader handles it: its Flink name,
 * what it holds, and its serializer snapshot from the savepoint (the versioned snapshot bytes, so
 * the reader restores exactly the serializer StateFun wrote with).
 *
 * @param flinkName the Flink state name ({@code <ns>.<name>.<state>} for function state)
 * @param kind what the reader does with it
 * @param keyedStateType Flink's keyed state type: VALUE, LIST or MAP
 * @param functionType {@code ns/name} for a remote function's value, else null
 * @param stateName the function's state name for a remote function's value; for {@link
 *     Kind#NOT_CARRIED}, why it is not carried over
 * @param typename the value's typename as StateFun registered it ({@code ns/name}), else null
 * @param ttl whether StateFun stored the value with a TTL (a {@code TtlValue} with its last access)
 * @param serializerSnapshot the value serializer's versioned snapshot
 */
record ReadState(
    String flinkName,
    Kind kind,
    String keyedStateType,
    String functionType,
    String stateName,
    String typename,
    boolean ttl,
    byte[] serializerSnapshot)
    implements Serializable {

  enum Kind {
    /** A remote function's value: carried over. */
    REMOTE_VALUE,
    /** State that is not carried over (embedded functions, unknown function types): counted. */
    NOT_CARRIED,
    /** StateFun's delayed message buffer ({@code delayed-messages-buffer}): carried as timers. */
    DELAYED_BUFFER,
    /** A remote function's backlog of batched messages ({@code <ns>.<name>.batch}): counted. */
    BATCH,
    /** Requests in flight to remote functions ({@code asyncOperations}): counted. */
    ASYNC_OPERATIONS
  }
}
