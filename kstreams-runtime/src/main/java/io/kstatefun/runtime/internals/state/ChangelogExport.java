package io.kstatefun.runtime.internals.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import io.kstatefun.runtime.internals.topology.StoreKeys;
import io.kstatefun.runtime.state.ExportOptions;
import io.kstatefun.runtime.state.ExportReport;
import io.kstatefun.runtime.state.StateFileWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;

/**
 * One export of an application's state to a state file (see {@code StateExporter}). Works partition
 * by partition, so it holds one partition's live records at a time.
 *
 * <p>Mailbox entries (messages accepted but not yet processed) are written as delayed messages due
 * at the export time, address by address in mailbox order, so an import delivers them right away;
 * their caller is kept. Records still in the loopback topic (sent, not yet consumed) are counted in
 * the report, not exported: stop the application only after it has drained, or export with them
 * missing.
 *
 * <p>Threading: one thread runs an export.
 */
public final class ChangelogExport {

  private final KStatefunConfig config;
  private final ExportOptions options;
  private final String app;

  public ChangelogExport(KStatefunConfig config, ExportOptions options) {
    this.config = config;
    this.options = options;
    this.app = config.applicationId();
  }

  public ExportReport run(Path file) throws IOException {
    long start = System.nanoTime();
    long exportMs = System.currentTimeMillis();
    int partitions;
    long loopbackInFlight;
    try (Admin admin = Applications.admin(config)) {
      if (!options.force()) {
        Applications.requireStopped(admin, app, "exporting state (or pass --force)");
      }
      partitions = Applications.partitions(admin, Applications.stateChangelog(config));
      if (partitions < 0) {
        throw new IllegalStateException(
            "application "
                + app
                + " has no state changelog topic "
                + Applications.stateChangelog(config)
                + ": it never ran on this cluster (check --application-id and the bootstrap servers)");
      }
      loopbackInFlight = loopbackLag(admin);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while exporting " + app, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot export " + app + ": Kafka failed: " + e.getMessage(), e);
    }
    long mailboxMessages = 0;
    StateFileWriter writer = StateFileWriter.create(file, StateFileWriter.SOURCE_KSTATEFUN, app);
    try (ChangelogReader reader = new ChangelogReader(Applications.clientProps(config))) {
      String stateTopic = Applications.stateChangelog(config);
      String timerTopic = Applications.timerChangelog(config);
      String mailboxTopic = Applications.mailboxChangelog(config);
      for (int p = 0; p < partitions; p++) {
        int partition = p;
        ChangelogReader.Progress progress =
            n ->
                options.progress().accept("reading partition " + partition + ": " + n + " records");
        for (Map.Entry<Bytes, byte[]> kv : reader.read(stateTopic, p, progress).entrySet()) {
          Address address = StoreKeys.decodeAddress(kv.getKey().get(), 0);
          StoredState state =
              parse(stateTopic, p, address.toString(), kv.getValue(), StoredState::parseFrom);
          writer.address(
              AddressState.newBuilder()
                  .setAddress(address.toProto())
                  .addAllValues(state.getValuesList())
                  .build());
        }
        for (Map.Entry<Bytes, byte[]> kv : reader.read(timerTopic, p, progress).entrySet()) {
          byte[] key = kv.getKey().get();
          if (key[0] != StoreKeys.TIMER) {
            continue; // meta keys and the token index: the importer rebuilds them
          }
          PendingTimer t = parse(timerTopic, p, "timer", kv.getValue(), PendingTimer::parseFrom);
          if (t.hasExpiryCheck()) {
            continue; // rebuilt from the values' expiry times
          }
          writer.timer(
              TimerEntry.newBuilder()
                  .setEnvelope(t.getEnvelope())
                  .setDueMs(t.getDueMs())
                  .setCancellationToken(t.getCancellationToken())
                  .build());
        }
        List<Map.Entry<Bytes, byte[]>> entries = new ArrayList<>();
        for (Map.Entry<Bytes, byte[]> kv : reader.read(mailboxTopic, p, progress).entrySet()) {
          if (kv.getKey().get()[0] == StoreKeys.ENTRY) {
            entries.add(kv);
          }
        }
        entries.sort(Map.Entry.comparingByKey()); // by address, then sequence: mailbox order
        for (Map.Entry<Bytes, byte[]> kv : entries) {
          Envelope envelope =
              parse(mailboxTopic, p, "mailbox entry", kv.getValue(), Envelope::parseFrom);
          writer.timer(TimerEntry.newBuilder().setEnvelope(envelope).setDueMs(exportMs).build());
          mailboxMessages++;
        }
        options
            .progress()
            .accept(
                "state export: partition "
                    + (p + 1)
                    + "/"
                    + partitions
                    + ", "
                    + writer.addresses()
                    + " addresses, "
                    + writer.timers()
                    + " timers");
      }
      writer.close();
    } catch (IOException | RuntimeException e) {
      writer.abandon();
      throw e;
    }
    return new ExportReport(
        app,
        writer.addresses(),
        writer.values(),
        writer.timers(),
        mailboxMessages,
        loopbackInFlight,
        Duration.ofNanos(System.nanoTime() - start));
  }

  private interface Parser<T> {
    T parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  private static <T> T parse(String topic, int partition, String what, byte[] value, Parser<T> p) {
    try {
      return p.parse(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "unreadable record in "
              + topic
              + "-"
              + partition
              + " ("
              + what
              + "): "
              + e.getMessage()
              + ". Nothing was exported.",
          e);
    }
  }

  /** Loopback records past the application's committed offsets: sent, not yet processed. */
  private long loopbackLag(Admin admin)
      throws InterruptedException, ExecutionException, TimeoutException {
    String loopback = config.loopbackTopic();
    int n = Applications.partitions(admin, loopback);
    if (n <= 0) {
      return 0;
    }
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(app)
            .partitionsToOffsetAndMetadata()
            .get(Applications.TIMEOUT_S, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
    for (int p = 0; p < n; p++) {
      request.put(new TopicPartition(loopback, p), OffsetSpec.latest());
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin
            .listOffsets(
                request,
                new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    IsolationLevel.READ_COMMITTED))
            .all()
            .get(Applications.TIMEOUT_S, TimeUnit.SECONDS);
    long lag = 0;
    for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      // Without a committed offset the loopback was never read: every record counts (the purger
      // keeps none that were read).
      lag += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
    }
    return lag;
  }
}
