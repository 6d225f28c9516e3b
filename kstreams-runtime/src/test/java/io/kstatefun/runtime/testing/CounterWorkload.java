package io.kstatefun.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * The counter workload of {@link OfficialSdkCounter}: {@code keys} ids, each sent payloads {@code
 * <id>#1 .. <id>#n} in order; the expected egress is, per id, {@code <id>:<k>:<id>#<k>|<k>} for k =
 * 1..n, each exactly once and in order.
 */
public final class CounterWorkload {

  private final int keys;
  private final Map<String, Integer> sent = new HashMap<>();

  public CounterWorkload(int keys) {
    this.keys = keys;
  }

  public String id(int k) {
    return "user-" + k;
  }

  /** Sends the next {@code perKey} payloads of every id, interleaved across ids. */
  public void send(KafkaProducer<byte[], byte[]> producer, String topic, int perKey) {
    for (int round = 0; round < perKey; round++) {
      for (int k = 0; k < keys; k++) {
        String id = id(k);
        int seq = sent.merge(id, 1, Integer::sum);
        KafkaIO.send(producer, topic, id, id + "#" + seq);
      }
    }
    producer.flush();
  }

  public int expectedTotal() {
    return sent.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Asserts the egress holds every expected record exactly once, in order per id. */
  public void verify(List<ConsumerRecord<byte[], byte[]>> egress) {
    Map<String, List<String>> byId = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : egress) {
      byId.computeIfAbsent(KafkaIO.utf8(r.key()), x -> new ArrayList<>())
          .add(KafkaIO.utf8(r.value()));
    }
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Integer> e : sent.entrySet()) {
      String id = e.getKey();
      List<String> expected = new ArrayList<>();
      for (int k = 1; k <= e.getValue(); k++) {
        expected.add(id + ":" + k + ":" + id + "#" + k + "|" + k);
      }
      List<String> actual = byId.getOrDefault(id, List.of());
      if (!actual.equals(expected)) {
        problems.add(
            id
                + ": expected "
                + expected.size()
                + " records, got "
                + actual.size()
                + (actual.size() <= 20 ? " " + actual : " (first " + actual.subList(0, 5) + ")"));
      }
    }
    assertThat(problems).as("ids whose egress is not exactly the expected sequence").isEmpty();
    assertThat(egress).hasSize(expectedTotal());
  }

  public boolean complete(List<ConsumerRecord<byte[], byte[]>> egress) {
    return egress.size() >= expectedTotal();
  }

  /** A StateFun module.yaml for the workload. */
  public static Path writeModule(
      Path dir, String urlTemplate, String bootstrap, String ingressTopic) throws IOException {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: example/*",
            "  urlPathTemplate: " + urlTemplate,
            "  transport:",
            "    call: 30s",
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: example/in",
            "  address: " + bootstrap,
            "  consumerGroupId: kstatefun-it",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + ingressTopic,
            "      valueType: example/payload",
            "      targets:",
            "        - example/counter",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: example/out",
            "  address: " + bootstrap,
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            "");
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
