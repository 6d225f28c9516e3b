package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of dead-letter records. A dead-lettered ingress record keeps its original key, value
 * and headers; a dead-lettered function message is written as its {@code Envelope} (target, caller,
 * argument, origin), keyed by the target's id, so it can be re-injected into the loopback topic as
 * it is ({@code kstatefun dlq --reinject}).
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

  /**
   * Set when the record was too large to be dead-lettered whole: what was cut, a comma-separated
   * list of {@code value} (cut to a prefix), {@code headers} (the original headers were dropped)
   * and {@code key} (cut to a prefix).
   */
  public static final String TRUNCATED = "kstatefun.dlq.truncated";

  /** With {@link #TRUNCATED}: the size of the original value in bytes (-1 for none). */
  public static final String ORIGINAL_VALUE_SIZE = "kstatefun.dlq.original.value.size";

  /** With {@link #TRUNCATED}: the size of the original key in bytes (-1 for none). */
  public static final String ORIGINAL_KEY_SIZE = "kstatefun.dlq.original.key.size";

  /** The prefix of every dead-letter header. */
  public static final String PREFIX = "kstatefun.dlq.";

  public static final String FORMAT_INGRESS = "ingress";
  public static final String FORMAT_ENVELOPE = "envelope";
  public static final String FORMAT_STORE = "store";

  /** For {@code store} records: the store and the task ({@code kstatefun-mailbox 0_3}). */
  public static final String STORE = "kstatefun.dlq.store";

  /** Longest value of a header the runtime writes (detail, address, ...); longer ones are cut. */
  static final int MAX_HEADER_CHARS = 1024;

  /** Room kept for the {@link #TRUNCATED} and original-size headers. */
  private static final int TRUNCATION_HEADERS = 256;

  private DeadLetters() {}

  /** A dead-letter record as it is written. */
  record Fitted(byte[] key, byte[] value, Headers headers) {}

  /**
   * Fits a dead letter into {@code maxBytes} (key, value and headers, as the producer counts them).
   * A record that fits is returned as it is. Otherwise the value is cut to the prefix that fits; if
   * the key and the original headers alone are too large, the original headers are dropped, then
   * the key is cut too. The {@code kstatefun.dlq.*} headers are always kept (their values are
   * short, see {@link #MAX_HEADER_CHARS}); {@link #TRUNCATED}, {@link #ORIGINAL_KEY_SIZE} and
   * {@link #ORIGINAL_VALUE_SIZE} say what was cut.
   */
  static Fitted fit(byte[] key, byte[] value, Headers headers, int maxBytes) {
    if (length(key) + length(value) + size(headers) <= maxBytes) {
      return new Fitted(key, value, headers);
    }
    RecordHeaders ours = new RecordHeaders();
    RecordHeaders original = new RecordHeaders();
    for (Header h : headers) {
      (h.key().startsWith(PREFIX) ? ours : original).add(h);
    }
    int room = maxBytes - size(ours) - TRUNCATION_HEADERS;
    java.util.List<String> cut = new java.util.ArrayList<>(3);
    byte[] keptKey = key;
    Headers keptHeaders = original;
    if (length(key) + size(original) > room) {
      keptHeaders = new RecordHeaders();
      cut.add("headers");
    }
    int forValue = room - length(key) - size(keptHeaders);
    byte[] keptValue = value;
    if (length(value) > Math.max(0, forValue)) {
      keptValue = java.util.Arrays.copyOf(value, Math.max(0, forValue));
      cut.add(0, "value");
    }
    if (length(key) > room) {
      keptKey = java.util.Arrays.copyOf(key, Math.max(0, room));
      cut.add("key");
    }
    RecordHeaders out = new RecordHeaders();
    keptHeaders.forEach(out::add);
    ours.forEach(out::add);
    add(out, TRUNCATED, String.join(",", cut));
    add(out, ORIGINAL_KEY_SIZE, Integer.toString(key == null ? -1 : key.length));
    add(out, ORIGINAL_VALUE_SIZE, Integer.toString(value == null ? -1 : value.length));
    return new Fitted(keptKey, keptValue, out);
  }

  /** Bytes the producer counts for {@code headers}: keys and values with their length prefixes. */
  static int size(Headers headers) {
    int size = 0;
    for (Header h : headers) {
      size += h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value()) + 10;
    }
    return size;
  }

  private static int length(byte[] b) {
    return b == null ? 0 : b.length;
  }

  /** {@code text} cut to {@link #MAX_HEADER_CHARS} characters, saying so. */
  static String cap(String text) {
    if (text == null || text.length() <= MAX_HEADER_CHARS) {
      return text;
    }
    int end = MAX_HEADER_CHARS - 40;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "... (" + text.length() + " characters)";
  }

  /**
   * Headers of a dead-lettered raw record (ingress or loopback): the record's own headers, without
   * any earlier {@code kstatefun.dlq.*} ones (a re-injected record that fails again), then ours.
   */
  static Headers forIngress(
      Headers original,
      String reason,
      String detail,
      String errorClass,
      String topic,
      int partition,
      long offset,
      long sourceTimestamp,
      long now) {
    RecordHeaders h = new RecordHeaders();
    if (original != null) {
      for (Header header : original) {
        if (!header.key().startsWith(PREFIX)) {
          h.add(header);
        }
      }
    }
    addCause(h, reason, detail, errorClass, FORMAT_INGRESS, null);
    add(h, SOURCE_TOPIC, topic);
    add(h, SOURCE_PARTITION, Integer.toString(partition));
    add(h, SOURCE_OFFSET, Long.toString(offset));
    add(h, SOURCE_TIMESTAMP, Long.toString(sourceTimestamp));
    add(h, TIMESTAMP, Long.toString(now));
    return h;
  }

  /**
   * Headers of a dead-lettered function message. {@code address} is the address the message was for
   * (or the sender, for a delayed message that could not be scheduled); {@code null} when not
   * known. The source headers name where the message first entered the system, if it came from an
   * ingress.
   */
  static Headers forEnvelope(
      String reason,
      String detail,
      String errorClass,
      Address address,
      Envelope envelope,
      int attempts,
      long now) {
    RecordHeaders h = new RecordHeaders();
    addCause(h, reason, detail, errorClass, FORMAT_ENVELOPE, address);
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
   * Headers of a dead-lettered store record that could not be read. {@code address} is the address
   * it belongs to, or {@code null} (a timer record).
   */
  static Headers forStoreRecord(
      String reason,
      String detail,
      String errorClass,
      Address address,
      String store,
      String task,
      long now) {
    RecordHeaders h = new RecordHeaders();
    addCause(h, reason, detail, errorClass, FORMAT_STORE, address);
    add(h, STORE, store + " " + task);
    add(h, TIMESTAMP, Long.toString(now));
    return h;
  }

  /**
   * The headers every dead letter starts with: why ({@code reason}, {@code detail}, {@code
   * errorClass} if known), its {@code format}, and the {@code address} it was for if known.
   */
  private static void addCause(
      RecordHeaders h,
      String reason,
      String detail,
      String errorClass,
      String format,
      Address address) {
    add(h, REASON, reason);
    add(h, DETAIL, detail);
    if (errorClass != null) {
      add(h, ERROR_CLASS, errorClass);
    }
    add(h, FORMAT, format);
    if (address != null) {
      add(h, ADDRESS, address.toString());
    }
  }

  private static void add(RecordHeaders h, String key, String value) {
    h.add(key, value == null ? new byte[0] : cap(value).getBytes(StandardCharsets.UTF_8));
  }
}
