package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class LoopbackPurgerTest {

  @Test
  void shouldDeleteBelowTheCommittedOffsetOfPartitionsThatMovedOn() {
    TopicPartition p0 = new TopicPartition("app-loopback", 0);
    TopicPartition p1 = new TopicPartition("app-loopback", 1);
    TopicPartition p2 = new TopicPartition("app-loopback", 2);
    TopicPartition other = new TopicPartition("orders", 0);
    Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    committed.put(p0, new OffsetAndMetadata(120));
    committed.put(p1, new OffsetAndMetadata(40));
    committed.put(p2, null); // nothing committed yet: nothing may be deleted
    committed.put(other, new OffsetAndMetadata(9));

    Map<TopicPartition, RecordsToDelete> delete =
        LoopbackPurger.toDelete("app-loopback", committed, Map.of(0, 100L, 1, 40L));

    assertThat(delete).containsOnlyKeys(p0);
    assertThat(delete.get(p0).beforeOffset()).isEqualTo(120);
  }
}
