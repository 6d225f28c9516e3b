package io.kstatefun.runtime.topology;

import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Wakes a task's stream thread when work for it arrives outside of Kafka (a function call
 * finished, a timer is due): a tiny non-transactional record on the task's partition of the
 * doorbell topic makes the thread's {@code poll()} return at once. The record carries nothing; the
 * work itself waits in memory, and a lost ring only delays it until the safety-net punctuation.
 *
 * <p>Threading: {@link #ring} is called from HTTP client and timer threads; KafkaProducer is
 * thread-safe.
 */
final class Doorbell implements AutoCloseable {

  private static final byte[] EMPTY = new byte[0];

  private final String topic;
  private final KafkaProducer<byte[], byte[]> producer;

  Doorbell(String topic, Map<String, Object> clientProperties) {
    this.topic = topic;
    Map<String, Object> props = new java.util.HashMap<>(clientProperties);
    props.put(ProducerConfig.ACKS_CONFIG, "1");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.put(ProducerConfig.RETRIES_CONFIG, 0);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, topic + "-producer");
    this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  void ring(int partition) {
    producer.send(new ProducerRecord<>(topic, partition, null, EMPTY));
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
