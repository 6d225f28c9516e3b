package io.kstatefun.routing;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.utils.Utils;

/**
 * Maps a function id to a Kafka partition exactly as Kafka's default producer partitioner maps a
 * record whose key is the id serialized by {@code StringSerializer} (UTF-8): {@code
 * toPositive(murmur2(utf8(id))) % numPartitions}.
 *
 * <p>The partition depends only on the id, never on the function type, so all function types that
 * share an id live on the same partition (as in StateFun). This is what lets an ingress record
 * keyed by the id, produced by any standard Kafka client, land on the partition that owns the
 * addresses it targets.
 *
 * <p>Stateless and thread-safe.
 */
public final class AddressPartitioner {

  private AddressPartitioner() {}

  /**
   * Returns the partition of a function id.
   *
   * @param id the function id
   * @param numPartitions the number of partitions, at least 1
   * @return a partition in {@code [0, numPartitions)}
   */
  public static int partition(String id, int numPartitions) {
    Objects.requireNonNull(id, "id");
    if (numPartitions <= 0) {
      throw new IllegalArgumentException("numPartitions must be positive, was " + numPartitions);
    }
    return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }

  /**
   * Returns the partition of an address; equal to {@code partition(address.id(), numPartitions)}.
   *
   * @param address the address
   * @param numPartitions the number of partitions, at least 1
   * @return a partition in {@code [0, numPartitions)}
   */
  public static int partition(Address address, int numPartitions) {
    Objects.requireNonNull(address, "address");
    return partition(address.id(), numPartitions);
  }
}
