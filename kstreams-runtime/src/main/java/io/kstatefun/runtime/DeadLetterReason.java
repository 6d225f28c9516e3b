package io.kstatefun.runtime;

/**
 * Why a record or message went to the dead-letter topic. The name is written to the {@code
 * kstatefun.dlq.reason} header, so names are stable.
 */
public enum DeadLetterReason {
  /** An ingress record has no key (the key is the function id). */
  NULL_KEY,
  /** An ingress record has an empty key. */
  EMPTY_KEY,
  /** An ingress record's key is not valid UTF-8. */
  INVALID_KEY,
  /** An ingress record has no value (a tombstone). */
  NULL_VALUE,
  /**
   * An ingress record is larger than the ingress's maxRecordBytes, or its message would be a larger
   * record than the runtime can write (derived from the producer's max.request.size); also a
   * message from the loopback topic that is too large.
   */
  RECORD_TOO_LARGE,
  /**
   * The headers an ingress record would carry to the functions (those its topic's {@code
   * forwardHeaders} selects, plus the W3C trace context when tracing is on) exceed {@code
   * kstatefun.headers.max.bytes}.
   */
  HEADERS_TOO_LARGE,
  /** A record arrived on a topic no ingress declares. */
  UNDECLARED_TOPIC,
  /** A loopback record could not be decoded. */
  MALFORMED_LOOPBACK_RECORD,
  /** A message whose target address is malformed (empty or invalid namespace or type). */
  INVALID_ADDRESS,
  /** A message for a function type that no endpoint serves. */
  UNKNOWN_FUNCTION_TYPE,
  /**
   * The function could not be called successfully within the retry budget, or failed terminally.
   */
  FUNCTION_CALL_FAILED,
  /** The function's answer could not be decoded (not a FromFunction, or the wrong content type). */
  MALFORMED_RESPONSE,
  /** A single message whose request or response exceeds the endpoint's payload_max_bytes. */
  PAYLOAD_TOO_LARGE,
  /** The function changed a state it never declared. */
  UNDECLARED_STATE_MUTATION,
  /** The function wrote a state value with another type than the one it declared. */
  STATE_TYPE_MISMATCH,
  /** The function kept asking for states it had already been given. */
  STATE_NEGOTIATION_FAILED,
  /** The function sent to an egress that the module does not declare. */
  UNKNOWN_EGRESS,
  /** A Kafka egress message that is not a valid KafkaProducerRecord. */
  MALFORMED_EGRESS_RECORD,
  /** A Kafka egress record for a topic that does not exist in the cluster. */
  EGRESS_TOPIC_MISSING,
  /**
   * A delayed message that cannot be scheduled (negative delay, too many pending timers, duplicate
   * token).
   */
  INVALID_DELAYED_MESSAGE,
  /** The mailbox of an address is over its limit (kstatefun.max.mailbox.size). */
  MAILBOX_FULL,
  /**
   * A record of a task's stores cannot be read: the record itself (raw bytes) and, for a mailbox
   * entry or state, the batch of messages that needed it.
   */
  CORRUPT_STORE_RECORD,

  /**
   * A response would write a record (state, message, delayed message, egress record) larger than
   * the runtime can write (derived from the producer's max.request.size).
   */
  OUTPUT_TOO_LARGE
}
