package io.kstatefun.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.cli.KStatefunCli;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.state.StateFileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large import in one transaction: N addresses (one 8-byte counter each, property {@code
 * kstatefun.it.state.addresses}, default 50,000) and N/10 delayed messages, imported by {@code
 * kstatefun state import} in a JVM of its own with {@code -Xmx} from {@code
 * kstatefun.it.state.heap} (default 256m). Prints the import speed (addresses per second, the
 * command's own timing) and the importer's peak resident memory; checks that every address is in
 * the state changelog for read_committed readers. The 1M figure in docs/state-files.md:
 *
 * <pre>
 * mvn -B -pl kstreams-runtime -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=StateImportScaleIT -Dkstatefun.it.state.addresses=1000000
 * </pre>
 */
class StateImportScaleIT {

  private static final int ADDRESSES = Integer.getInteger("kstatefun.it.state.addresses", 50_000);
  private static final String HEAP = System.getProperty("kstatefun.it.state.heap", "256m");

  @Test
  @Timeout(1800)
  void shouldImportManyAddressesInOneTransaction(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("large.kstate");
    int timers = ADDRESSES / 10;
    long due = System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1);
    try (StateFileWriter w = StateFileWriter.create(file, "test", "scale")) {
      for (int i = 0; i < ADDRESSES; i++) {
        w.address(
            AddressState.newBuilder()
                .setAddress(address("counter", "user-" + i))
                .addValues(
                    StoredValue.newBuilder()
                        .setName("count")
                        .setTypename("io.statefun.types/long")
                        .setValue(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(i).array())))
                .build());
      }
      for (int i = 0; i < timers; i++) {
        w.timer(
            TimerEntry.newBuilder()
                .setEnvelope(
                    Envelope.newBuilder()
                        .setTarget(address("greeter", "user-" + (i + 1)))
                        .setCaller(address("counter", "user-" + i)))
                .setDueMs(due + i)
                .build());
      }
    }
    System.out.println(
        "StateImportScaleIT file: "
            + ADDRESSES
            + " addresses, "
            + timers
            + " timers, "
            + Files.size(file) / (1024 * 1024)
            + " MiB");

    try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start()) {
      String app = "scale-" + UUID.randomUUID().toString().substring(0, 8);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx" + HEAP);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(KStatefunCli.class.getName());
      command.addAll(
          List.of(
              "state",
              "import",
              "--application-id",
              app,
              "--file",
              file.toString(),
              "--bootstrap-servers",
              kafka.bootstrapServers()));
      Path log = dir.resolve("import.log");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      long peakRssKb = 0;
      while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
        peakRssKb = Math.max(peakRssKb, rssKb(p.pid()));
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println("StateImportScaleIT import output:\n" + output);
      assertThat(p.exitValue()).as(output).isZero();
      String summary =
          output
              .lines()
              .filter(l -> l.startsWith("state import: ") && l.endsWith("addresses/s"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no summary in " + output));
      System.out.println(
          "StateImportScaleIT: "
              + summary
              + "; importer peak RSS "
              + peakRssKb / 1024
              + " MiB with -Xmx"
              + HEAP
              + " (load average "
              + Files.readString(Path.of("/proc/loadavg")).trim()
              + ")");
      assertThat(liveKeys(kafka, app + "-kstatefun-state-changelog")).isEqualTo(ADDRESSES);
    }
  }

  private static io.kstatefun.protocol.Address address(String type, String id) {
    return io.kstatefun.protocol.Address.newBuilder()
        .setNamespace("scale")
        .setType(type)
        .setId(id)
        .build();
  }

  private static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended
    }
    return 0;
  }

  /** Committed records of all partitions (the importer writes each key once). */
  private static long liveKeys(LocalKafkaBroker kafka, String topic) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      long n = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        assertThat(System.nanoTime()).as("reading " + topic).isLessThan(deadline);
        n += c.poll(Duration.ofMillis(200)).count();
      }
      return n;
    }
  }
}
