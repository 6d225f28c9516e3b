package io.kstatefun.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class AddressPartitionerTest {

  private static final int[] PARTITION_COUNTS = {1, 2, 3, 6, 7, 12, 16, 50, 64, 100, 1000};

  @Test
  void shouldMatchKafkasDefaultPartitionerForStringKeys() {
    StringSerializer serializer = new StringSerializer();
    int compared = 0;
    for (String id : ids(5_000, new Random(42))) {
      byte[] key = serializer.serialize("any-topic", id);
      for (int partitions : PARTITION_COUNTS) {
        assertThat(AddressPartitioner.partition(id, partitions))
            .as("id '%s' with %d partitions", id, partitions)
            .isEqualTo(BuiltInPartitioner.partitionForKey(key, partitions));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(5_000 * PARTITION_COUNTS.length);
  }

  @Test
  void shouldSpreadIdsOverAllPartitions() {
    int partitions = 12;
    boolean[] seen = new boolean[partitions];
    for (String id : ids(2_000, new Random(7))) {
      seen[AddressPartitioner.partition(id, partitions)] = true;
    }
    for (int p = 0; p < partitions; p++) {
      assertThat(seen[p]).as("partition %d used", p).isTrue();
    }
  }

  @Test
  void shouldPlaceAllFunctionTypesOfAnIdOnTheSamePartition() {
    for (String id : ids(500, new Random(3))) {
      int greeter =
          AddressPartitioner.partition(new Address(FunctionType.parse("a/greeter"), id), 24);
      int counter =
          AddressPartitioner.partition(new Address(FunctionType.parse("b/counter"), id), 24);

      assertThat(counter).isEqualTo(greeter).isEqualTo(AddressPartitioner.partition(id, 24));
    }
  }

  @Test
  void shouldRejectNonPositivePartitionCount() {
    assertThatThrownBy(() -> AddressPartitioner.partition("id", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("numPartitions must be positive, was 0");
  }

  /** Ids of varied length and content: ASCII, numbers, UUID-like, non-ASCII and the empty id. */
  private static List<String> ids(int count, Random random) {
    List<String> ids =
        new ArrayList<>(List.of("", "alice", "bob", "42", "user-0001", "Grüße", "日本語", "😀"));
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:/.éßλ中";
    while (ids.size() < count) {
      int length = 1 + random.nextInt(40);
      StringBuilder id = new StringBuilder();
      for (int i = 0; i < length; i++) {
        id.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      ids.add(id.toString());
    }
    return ids;
  }
}
