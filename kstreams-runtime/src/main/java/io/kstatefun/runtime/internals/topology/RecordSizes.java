package io.kstatefun.runtime.internals.topology;

/**
 * How large the records the runtime writes may be. Every limit is derived from one number, the
 * Kafka Streams producer's {@code max.request.size} ({@code P}, Kafka's default 1 MiB), so that no
 * record the runtime writes can be refused by its producer or by a topic, which would fail the
 * stream thread on the same input again and again:
 *
 * <ul>
 *   <li>the topics kstatefun creates (loopback, dead letters) and the changelog topics Kafka
 *       Streams creates ({@code topic.max.message.bytes}) accept batches of {@code P} bytes, and an
 *       existing one that accepts less is refused at start-up ({@code TopicSetup});
 *   <li>a message (mailbox entry, loopback record), a state record, a timer and an egress record
 *       hold at most {@link #maxRecordBytes()} bytes of key and value: {@code P} less the
 *       producer's per-record framing and {@link #DEAD_LETTER_HEADROOM}, so that any message that
 *       was accepted can later be dead-lettered whole, with its headers. The dispatcher rejects
 *       function responses that would write more ({@code OUTPUT_TOO_LARGE}); an ingress record
 *       whose message would be larger is rejected like one over {@code maxRecordBytes} ({@code
 *       RECORD_TOO_LARGE});
 *   <li>a dead letter (key, value and headers) holds at most {@link #maxDeadLetterBytes()}: an
 *       original record too large for it is written truncated ({@link DeadLetters#fit}).
 * </ul>
 *
 * <p>Egress topics belong to the user: they must accept records of {@code P} bytes (Kafka's default
 * topic limit, 1 MiB + 12 bytes, does).
 */
final class RecordSizes {

  /**
   * Bytes the producer counts for one record on top of its key, value and headers: the record batch
   * header (61 bytes) and the record's own framing (at most 21 bytes), with room to spare.
   */
  static final int RECORD_OVERHEAD = 256;

  /**
   * Room for the {@code kstatefun.dlq.*} headers of a dead letter (each value at most {@link
   * DeadLetters#MAX_HEADER_CHARS} characters) and for the longer key a mailbox entry has than a
   * loopback record.
   */
  static final int DEAD_LETTER_HEADROOM = 16 * 1024;

  private final int maxRequestSize;

  /**
   * @param maxRequestSize the Kafka Streams producer's {@code max.request.size}
   */
  RecordSizes(int maxRequestSize) {
    if (maxRequestSize <= RECORD_OVERHEAD + DEAD_LETTER_HEADROOM) {
      throw new IllegalArgumentException("max.request.size " + maxRequestSize + " is too small");
    }
    this.maxRequestSize = maxRequestSize;
  }

  /** The producer's {@code max.request.size}. */
  int maxRequestSize() {
    return maxRequestSize;
  }

  /** Most bytes of key and value of a message, state, timer or egress record. */
  int maxRecordBytes() {
    return maxRequestSize - RECORD_OVERHEAD - DEAD_LETTER_HEADROOM;
  }

  /** Most bytes of key, value and headers of a dead letter. */
  int maxDeadLetterBytes() {
    return maxRequestSize - RECORD_OVERHEAD;
  }
}
