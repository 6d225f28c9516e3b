package io.kstatefun.runtime.internals.topology;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * A record value for a sink whose topic is chosen per record (Kafka egress, dead letters).
 *
 * @param topic the destination topic
 * @param value the bytes written as the record value
 */
record TopicRecord(String topic, byte[] value) {

  static final TopicNameExtractor<byte[], TopicRecord> TOPIC =
      (key, value, context) -> value.topic();

  static final Serializer<TopicRecord> SERIALIZER =
      new Serializer<>() {
        @Override
        public byte[] serialize(String topic, TopicRecord data) {
          return data == null ? null : data.value();
        }

        @Override
        public byte[] serialize(String topic, Headers headers, TopicRecord data) {
          return serialize(topic, data);
        }
      };
}
