package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.util.List;

/**
 * An effect the {@link Dispatcher} decided on and the Kafka Streams shell carries out. State and
 * mailbox writes are not actions: the dispatcher makes them directly through {@link
 * DispatchStores}, which commit atomically with everything the shell forwards.
 */
public sealed interface Action {

  /**
   * Send {@code request} to the function at {@code target}; the answer comes back tagged with
   * {@code requestId}. {@code span} is the batch's trace span ({@code null} when tracing is off):
   * the call's HTTP client span is its child.
   */
  record Invoke(
      Address target, long requestId, ToFunction request, int batchSize, Tracing.BatchSpan span)
      implements Action {

    /** A call without a trace span. */
    public Invoke(Address target, long requestId, ToFunction request, int batchSize) {
      this(target, requestId, request, batchSize, null);
    }
  }

  /**
   * Write {@code reply} (the answer to a waiting HTTP API request) to partition {@code partition}
   * of the replies topic, in the task's transaction.
   */
  record ApiReply(int partition, io.kstatefun.runtime.internals.proto.ApiReply reply)
      implements Action {}

  /** Deliver {@code envelope} to another partition through the loopback topic. */
  record SendToPartition(Envelope envelope, int partition) implements Action {}

  /**
   * Write a record to a Kafka egress topic. {@code key} may be null; {@code headers} are the
   * record's headers in order (empty: none).
   */
  record EmitEgress(
      String egressId,
      String topic,
      byte[] key,
      byte[] value,
      List<KafkaProducerRecord.Header> headers)
      implements Action {

    /** A record without headers. */
    public EmitEgress(String egressId, String topic, byte[] key, byte[] value) {
      this(egressId, topic, key, value, List.of());
    }

    /** The same record with {@code headers} instead. */
    public EmitEgress withHeaders(List<KafkaProducerRecord.Header> headers) {
      return new EmitEgress(egressId, topic, key, value, headers);
    }
  }

  /**
   * Route messages that cannot be processed to the dead-letter topic.
   *
   * @param address the address they were for (or came from)
   * @param envelopes the messages; each becomes one dead-letter record
   * @param attempts how many calls were made before giving up (0 when none)
   * @param errorClass the class of the exception behind the failure, or {@code null} when the
   *     dispatcher itself rejected the messages (e.g. an undeclared state in a response)
   */
  record DeadLetter(
      DeadLetterReason reason,
      String detail,
      Address address,
      List<Envelope> envelopes,
      int attempts,
      String errorClass)
      implements Action {

    /** A dead letter decided by the dispatcher, without an exception behind it. */
    public DeadLetter(
        DeadLetterReason reason,
        String detail,
        Address address,
        List<Envelope> envelopes,
        int attempts) {
      this(reason, detail, address, envelopes, attempts, null);
    }
  }

  /**
   * Write a record of the task's stores that cannot be read to the dead-letter topic, as its raw
   * bytes (reason {@link DeadLetterReason#CORRUPT_STORE_RECORD}); the dispatcher has removed it
   * from the store.
   */
  record DeadLetterStoreRecord(CorruptStoreRecordException error) implements Action {}
}
