package io.kstatefun.statefunimport;

/**
 * What the savepoint reader emits (a Flink POJO): one address's values of one function type, one
 * delayed message, or a count of something that is not carried over.
 */
public final class SavepointRecord {

  /** An {@code AddressState} (protobuf bytes) of a remote function type. */
  public static final int ADDRESS = 1;

  /** A {@code TimerEntry} (protobuf bytes) for a delayed message; {@link #time} is its due time. */
  public static final int DELAYED = 2;

  /** An address with a value in a state that is not carried over ({@link #state}). */
  public static final int NOT_CARRIED = 3;

  /** {@link #count} messages batched for an address ({@link #state} is the batch state). */
  public static final int BATCHED = 4;

  /** {@link #count} requests in flight for an address. */
  public static final int IN_FLIGHT = 5;

  /** A delayed message that is not carried over (its payload is not a remote message). */
  public static final int DELAYED_NOT_CARRIED = 6;

  /** Nothing (the reader must emit at least one record per key it visits). */
  public static final int NONE = 0;

  public int kind;
  public int state = -1;
  public String key;
  public String functionType;
  public long time;
  public int count;
  public byte[] bytes;

  public SavepointRecord() {}

  static SavepointRecord of(int kind, String key) {
    SavepointRecord r = new SavepointRecord();
    r.kind = kind;
    r.key = key;
    return r;
  }
}
