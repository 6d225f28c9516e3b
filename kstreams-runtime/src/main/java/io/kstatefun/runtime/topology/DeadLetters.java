package io.kstatefun.runtime.topology;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of dead-letter records. A dead-lettered ingress record keeps its original key, value
 * and headers; a dead-lettered function message is written as its {@code Envelope} (target,
 * caller, argument, origin), keyed by the target's id, so it can be re-injected into the loopback
 * topic as it is ({@code kstatefun dlq --reinject}).
 */
public final class DeadLetters {

  /** Why: a {@code DeadLetterReason} name. */
  public static final String REASON = "kstatefun.dlq.reason";
  /** A human-readable explanation. */
  public static final String DETAIL = "kstatefun.dlq.detail";
  /** The exception class behind the failure, when there is one. */
  public static final String ERROR_CLASS = "kstatefun.dlq.error.class";
  /**
   * {@code ingress} for raw ingress records, {@code envelope} for function messages, {@code store}
   * for records of the runtime's stores that could not be read (raw bytes; not re-injectable).
   */
  public static final String FORMAT = "kstatefun.dlq.format";
  /** The address the message was for, as {@code namespace/type/id}. */
  public static final String ADDRESS = "kstatefun.dlq.address";
  public static final String SOURCE_TOPIC = "kstatefun.dlq.source.topic";
  public static final String SOURCE_PARTITION = "kstatefun.dlq.source.partition";
  public static final String SOURCE_OFFSET = "kstatefun.dlq.source.offset";
  /** Timestamp (ms) of the source record. */
  public static final String SOURCE_TIMESTAMP = "kstatefun.dlq.source.timestamp";
  /** When the record was dead-lettered (ms). */
  public static final String TIMESTAMP = "kstatefun.dlq.timestamp";
  public static final String ATTEMPTS = "kstatefun.dlq.attempts";

  /** The prefix of every dead-letter header. */
  public static final String PREFIX = "kstatefun.dlq.";

  public static final String FORMAT_INGRESS = "ingress";
  public static final String FORMAT_ENVELOPE = "envelope";
  public static final String FORMAT_STORE = "store";
  /** For {@code store} records: the store and the task ({@code kstatefun-mailbox 0_3}). */
  public static final String STORE = "kstatefun.dlq.store";

  private DeadLetters() {}

  /**
   * Headers of a dead-lettered raw record (ingress or loopback): the record's own headers, without
   * any earlier {@code kstatefun.dlq.*} ones (a re-injected record that fails again), then ours.
   */
  static Headers forIngress(
      Headers original, String reason, String detail, String errorClass, String topic, int partition,
      long offset, long sourceTimestamp, long now) {
    RecordHeaders h = new RecordHeaders();
    if (original != null) {
      for (Header header : original) {
        if (!header.key().startsWith(PREFIX)) {
          h.add(header);
        }
      }
    }
    add(h, REASON, reason);
    add(h, DETAIL, detail);
    if (errorClass != null) {
      add(h, ERROR_CLASS, errorClass);
    }
    add(h, FORMAT, FORMAT_INGRESS);
    add(h, SOURCE_TOPIC, topic);
    add(h, SOURCE_PARTITION, Integer.toString(partition));
    add(h, SOURCE_OFFSET, Long.toString(offset));
    add(h, SOURCE_TIMESTAMP, Long.toString(sourceTimestamp));
    add(h, TIMESTAMP, Long.toString(now));
    return h;
  }

  /**
   * Headers of a dead-lettered function message. {@code address} is the address the message was
   * for (or the sender, for a delayed message that could not be scheduled); {@code null} when not
   * known. The source headers name where the message first entered the system, if it came from an
   * ingress.
   */
  static Headers forEnvelope(
      String reason, String detail, String errorClass, Address address, Envelope envelope,
      int attempts, long now) {
    RecordHeaders h = new RecordHeaders();
    add(h, REASON, reason);
    add(h, DETAIL, detail);
    if (errorClass != null) {
      add(h, ERROR_CLASS, errorClass);
    }
    add(h, FORMAT, FORMAT_ENVELOPE);
    if (address != null) {
      add(h, ADDRESS, address.toString());
    }
    if (envelope.hasOrigin()) {
      Origin o = envelope.getOrigin();
      add(h, SOURCE_TOPIC, o.getTopic());
      add(h, SOURCE_PARTITION, Integer.toString(o.getPartition()));
      add(h, SOURCE_OFFSET, Long.toString(o.getOffset()));
      add(h, SOURCE_TIMESTAMP, Long.toString(o.getTimestampMs()));
    }
    add(h, ATTEMPTS, Integer.toString(attempts));
    add(h, TIMESTAMP, Long.toString(now));
    return h;
  }

  /**
   * Headers of a dead-lettered store record that could not be read. {@code address} is the
   * address it belongs to, or {@code null} (a timer record).
   */
  static Headers forStoreRecord(
      String reason, String detail, String errorClass, Address address, String store, String task, long now) {
    RecordHeaders h = new RecordHeaders();
    add(h, REASON, reason);
    add(h, DETAIL, detail);
    if (errorClass != null) {
      add(h, ERROR_CLASS, errorClass);
    }
    add(h, FORMAT, FORMAT_STORE);
    if (address != null) {
      add(h, ADDRESS, address.toString());
    }
    add(h, STORE, store + " " + task);
    add(h, TIMESTAMP, Long.toString(now));
    return h;
  }

  private static void add(RecordHeaders h, String key, String value) {
    h.add(key, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
  }
}
