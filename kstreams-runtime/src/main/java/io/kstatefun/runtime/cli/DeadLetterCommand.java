package io.kstatefun.runtime.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.routing.AddressPartitioner;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.topology.DeadLetters;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun dlq}: lists the records of a dead-letter topic, one line each, and optionally
 * re-injects them.
 *
 * <p>Re-injection writes a function message ({@code format=envelope}: an {@code Envelope} keyed by
 * its target's id) to the loopback topic, on the partition that owns its target, and a raw ingress
 * record ({@code format=ingress}) back to its source topic and partition with its original key,
 * value and headers. Every re-injected record carries {@value #REINJECTED_FROM} naming the
 * dead-letter record; {@code kstatefun.dlq.*} headers are dropped. The runtime processes
 * re-injected records like any other, so one that still fails is dead-lettered again. A record that
 * was dead-lettered truncated ({@code kstatefun.dlq.truncated}) is never re-injected.
 *
 * <p>The tool reads with read_committed up to the end offsets it finds at start, and commits no
 * offsets: select records with {@code --from-offset}, {@code --limit} and {@code --reason}, and
 * note the last offset it prints, so that the same records are not re-injected twice.
 */
@Command(
    name = "dlq",
    sortOptions = false,
    sortSynopsis = false,
    description =
        "Lists dead-letter records, one line each: position, reason, format, address, source, attempts, detail. "
            + "With --reinject, writes function messages back to the loopback topic and ingress records back to "
            + "their source topic.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:listed (and re-injected) every selected record",
      "1:Kafka not reachable, or a record could not be re-injected",
      "2:bad command line"
    })
public final class DeadLetterCommand implements Callable<Integer> {

  /** Header on re-injected records: {@code <dlq topic>-<partition>@<offset>}. */
  public static final String REINJECTED_FROM = "kstatefun.reinjected.from";

  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      required = true,
      description = "Kafka.")
  String bootstrap;

  @Option(
      names = "--topic",
      paramLabel = "DLQ",
      required = true,
      description = "The dead-letter topic, e.g. <application id>-dead-letters.")
  String topic;

  @Option(
      names = "--from-offset",
      paramLabel = "N",
      defaultValue = "0",
      description = "Start at this offset in every partition. Default: ${DEFAULT-VALUE}.")
  long fromOffset;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Select at most N records. Default: all.")
  Long limit;

  @Option(
      names = "--reason",
      paramLabel = "REASON",
      description =
          "Select only records with this kstatefun.dlq.reason, e.g. FUNCTION_CALL_FAILED.")
  String reason;

  @Option(names = "--reinject", description = "Re-inject the selected records.")
  boolean reinject;

  @Option(
      names = "--loopback-topic",
      paramLabel = "TOPIC",
      description =
          "Where function messages are re-injected (required for them), e.g. <application id>-loopback.")
  String loopbackTopic;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "A Kafka client property, e.g. for SSL or SASL (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  /** Checks what picocli cannot: ranges and combinations. */
  void validate() {
    if (fromOffset < 0) {
      throw new ParameterException(
          spec.commandLine(), "--from-offset must not be negative, got " + fromOffset);
    }
    if (limit != null && limit < 0) {
      throw new ParameterException(
          spec.commandLine(), "--limit must not be negative, got " + limit);
    }
    if (loopbackTopic != null && !reinject) {
      throw new ParameterException(
          spec.commandLine(), "--loopback-topic only makes sense with --reinject");
    }
  }

  /** Parses and validates {@code args} as {@code dlq} would, without running it. */
  static DeadLetterCommand parse(String... args) {
    DeadLetterCommand command = new DeadLetterCommand();
    new CommandLine(command).parseArgs(args);
    command.validate();
    return command;
  }

  long limit() {
    return limit == null ? Long.MAX_VALUE : limit;
  }

  @Override
  public Integer call() {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return run(out, err);
    } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
      err.println("kstatefun dlq: " + e.getMessage());
      return 1;
    }
  }

  private int run(PrintWriter out, PrintWriter err) {
    List<ConsumerRecord<byte[], byte[]>> selected = read();
    int envelopes = 0;
    int ingress = 0;
    for (ConsumerRecord<byte[], byte[]> r : selected) {
      out.println(describe(r));
      if (DeadLetters.FORMAT_ENVELOPE.equals(header(r.headers(), DeadLetters.FORMAT))) {
        envelopes++;
      } else {
        ingress++;
      }
    }
    out.println(
        selected.size()
            + " record(s)"
            + (selected.isEmpty() ? "" : ", last " + position(selected.get(selected.size() - 1))));
    if (!reinject || selected.isEmpty()) {
      return 0;
    }
    if (envelopes > 0 && loopbackTopic == null) {
      err.println(
          "kstatefun dlq: "
              + envelopes
              + " function message(s) need --loopback-topic to be re-injected");
      return 1;
    }
    return reinject(selected, out, err);
  }

  private Map<String, Object> clientProps() {
    Map<String, Object> p = new HashMap<>(settings);
    p.put("bootstrap.servers", bootstrap);
    return p;
  }

  private List<ConsumerRecord<byte[], byte[]>> read() {
    Properties p = new Properties();
    p.putAll(clientProps());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kstatefun-dlq");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (TopicPartition tp : partitions) {
        consumer.seek(tp, Math.min(fromOffset, end.get(tp)));
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (out.size() < limit() && !reachedEnd(consumer, partitions, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("timed out reading " + topic);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
            continue;
          }
          if (reason == null || reason.equals(header(r.headers(), DeadLetters.REASON))) {
            if (out.size() < limit()) {
              out.add(r);
            }
          }
        }
      }
    }
    return out;
  }

  private static boolean reachedEnd(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> end) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < end.get(tp)) {
        return false;
      }
    }
    return true;
  }

  private int reinject(
      List<ConsumerRecord<byte[], byte[]>> records, PrintWriter out, PrintWriter err) {
    Map<String, Object> p = clientProps();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kstatefun-dlq-reinject");
    int failed = 0;
    int written = 0;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      Integer loopbackPartitions =
          loopbackTopic == null ? null : producer.partitionsFor(loopbackTopic).size();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        ProducerRecord<byte[], byte[]> record;
        try {
          record = reinjection(r, loopbackTopic, loopbackPartitions);
        } catch (IllegalArgumentException e) {
          err.println("kstatefun dlq: not re-injecting " + position(r) + ": " + e.getMessage());
          failed++;
          continue;
        }
        try {
          producer.send(record).get();
          written++;
        } catch (ExecutionException e) {
          err.println("kstatefun dlq: re-injecting " + position(r) + " failed: " + e.getCause());
          failed++;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 1;
        }
      }
    }
    out.println(
        "re-injected " + written + " record(s)" + (failed > 0 ? ", " + failed + " failed" : ""));
    return failed > 0 ? 1 : 0;
  }

  /** The record that re-injects dead letter {@code r}. */
  static ProducerRecord<byte[], byte[]> reinjection(
      ConsumerRecord<byte[], byte[]> r, String loopbackTopic, Integer loopbackPartitions) {
    Headers headers = new RecordHeaders();
    for (Header h : r.headers()) {
      if (!h.key().startsWith(DeadLetters.PREFIX) && !h.key().equals(REINJECTED_FROM)) {
        headers.add(h);
      }
    }
    headers.add(REINJECTED_FROM, position(r).getBytes(StandardCharsets.UTF_8));
    String truncated = header(r.headers(), DeadLetters.TRUNCATED);
    if (truncated != null) {
      throw new IllegalArgumentException(
          "it was too large to be dead-lettered whole ("
              + DeadLetters.TRUNCATED
              + "="
              + truncated
              + ", original value "
              + header(r.headers(), DeadLetters.ORIGINAL_VALUE_SIZE)
              + " bytes)");
    }
    String format = header(r.headers(), DeadLetters.FORMAT);
    if (DeadLetters.FORMAT_ENVELOPE.equals(format)) {
      Envelope envelope;
      try {
        envelope = Envelope.parseFrom(r.value() == null ? new byte[0] : r.value());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("value is not an Envelope: " + e.getMessage());
      }
      if (!envelope.hasTarget()) {
        throw new IllegalArgumentException("envelope has no target");
      }
      String id = envelope.getTarget().getId();
      return new ProducerRecord<>(
          loopbackTopic,
          AddressPartitioner.partition(id, loopbackPartitions),
          null,
          id.getBytes(StandardCharsets.UTF_8),
          r.value(),
          headers);
    }
    if (DeadLetters.FORMAT_INGRESS.equals(format)) {
      String topic = header(r.headers(), DeadLetters.SOURCE_TOPIC);
      if (topic == null || topic.isEmpty()) {
        throw new IllegalArgumentException("no " + DeadLetters.SOURCE_TOPIC + " header");
      }
      Integer partition = null;
      String p = header(r.headers(), DeadLetters.SOURCE_PARTITION);
      if (p != null) {
        try {
          partition = Integer.valueOf(p);
        } catch (NumberFormatException e) {
          partition = null;
        }
      }
      return new ProducerRecord<>(topic, partition, null, r.key(), r.value(), headers);
    }
    if (DeadLetters.FORMAT_STORE.equals(format)) {
      throw new IllegalArgumentException(
          "a store record that could not be read is kept for inspection only");
    }
    throw new IllegalArgumentException("unknown " + DeadLetters.FORMAT + " '" + format + "'");
  }

  static String describe(ConsumerRecord<byte[], byte[]> r) {
    Headers h = r.headers();
    String source = header(h, DeadLetters.SOURCE_TOPIC);
    StringBuilder sb = new StringBuilder(position(r));
    sb.append(" reason=").append(or(header(h, DeadLetters.REASON)));
    sb.append(" format=").append(or(header(h, DeadLetters.FORMAT)));
    String address = header(h, DeadLetters.ADDRESS);
    if (address == null && r.key() != null) {
      address = "key:" + printable(r.key());
    }
    sb.append(" address=").append(or(address));
    sb.append(" source=")
        .append(
            source == null
                ? "-"
                : source
                    + "-"
                    + or(header(h, DeadLetters.SOURCE_PARTITION))
                    + "@"
                    + or(header(h, DeadLetters.SOURCE_OFFSET)));
    String attempts = header(h, DeadLetters.ATTEMPTS);
    if (attempts != null) {
      sb.append(" attempts=").append(attempts);
    }
    String errorClass = header(h, DeadLetters.ERROR_CLASS);
    if (errorClass != null) {
      sb.append(" error=").append(errorClass.substring(errorClass.lastIndexOf('.') + 1));
    }
    String truncated = header(h, DeadLetters.TRUNCATED);
    if (truncated != null) {
      sb.append(" truncated=")
          .append(truncated)
          .append(" original-value-size=")
          .append(or(header(h, DeadLetters.ORIGINAL_VALUE_SIZE)));
    }
    sb.append(" detail=").append(or(header(h, DeadLetters.DETAIL)).replaceAll("\\s+", " "));
    return sb.toString();
  }

  private static String position(ConsumerRecord<?, ?> r) {
    return r.topic() + "-" + r.partition() + "@" + r.offset();
  }

  private static String or(String s) {
    return s == null ? "-" : s;
  }

  private static String printable(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8);
    return s.chars().allMatch(c -> c >= 0x20 && c != 0xFFFD) ? s : "<" + b.length + " bytes>";
  }

  static String header(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
