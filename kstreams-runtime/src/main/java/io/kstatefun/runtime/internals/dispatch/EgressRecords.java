package io.kstatefun.runtime.internals.dispatch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Converts the payload of a Kafka egress message (StateFun's {@code KafkaProducerRecord}, typename
 * {@link Dispatcher#KAFKA_PRODUCER_RECORD_TYPENAME}) into the record the shell writes, with the
 * record's headers ({@code KafkaProducerRecord.headers}, the maintained StateFun fork's field) in
 * order, duplicates and null values included.
 *
 * <p>Threading: stateless; the dispatcher calls it on the task's stream thread.
 */
final class EgressRecords {

  private EgressRecords() {}

  /**
   * The record that {@code argument} describes for egress {@code egressId}, or {@code null} when it
   * is not a {@code KafkaProducerRecord} with a topic.
   */
  static Action.EmitEgress toKafkaRecord(String egressId, TypedValue argument) {
    if (!Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME.equals(argument.getTypename())) {
      return null;
    }
    try {
      KafkaProducerRecord record = KafkaProducerRecord.parseFrom(argument.getValue());
      if (record.getTopic().isEmpty()) {
        return null;
      }
      byte[] key =
          record.getKey().isEmpty() ? null : record.getKey().getBytes(StandardCharsets.UTF_8);
      return new Action.EmitEgress(
          egressId,
          record.getTopic(),
          key,
          record.getValueBytes().toByteArray(),
          record.getHeadersCount() == 0 ? List.of() : record.getHeadersList());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}
