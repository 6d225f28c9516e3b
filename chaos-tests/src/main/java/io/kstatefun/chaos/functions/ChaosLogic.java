package io.kstatefun.chaos.functions;

import com.fasterxml.jackson.core.type.TypeReference;
import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.Command;
import io.kstatefun.chaos.workload.EgressRecord;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.FunctionEvent;
import io.kstatefun.chaos.workload.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a chaos function does with one message, independent of the SDK: both function servers
 * (official SDK and kstatefun SDK) adapt their context to {@link Effects} and their storage to
 * {@link State}, so both behave identically.
 *
 * <p>For every message it runs the commands in order and then reports an {@code applied} event
 * (uid, sender, sequence number, increments, counter after) to the events topic. Outgoing immediate
 * messages get the next sequence number of their (self, receiver) pair, kept in state.
 */
public final class ChaosLogic {

  /** The Kafka egress id the functions write to. */
  public static final String EGRESS_NAMESPACE = ChaosMessage.NAMESPACE;

  public static final String EGRESS_NAME = "out";

  /** Typename of the state value holding the per-receiver sequence numbers (JSON object). */
  public static final String SEQS_TYPENAME = ChaosMessage.NAMESPACE + "/seqs";

  /** What a function can do; implemented over each SDK's context. */
  public interface Effects {
    void send(FnAddress to, ChaosMessage message);

    /** A delayed message; {@code token} may be null (not cancellable). */
    void sendAfter(Duration delay, String token, FnAddress to, ChaosMessage message);

    void cancel(String token);

    /** A record to the Kafka egress {@code chaos/out}. */
    void kafka(String topic, String key, byte[] value);
  }

  /**
   * The state of one address.
   *
   * @param count the counter
   * @param outSeqs the last sequence number sent to each receiver
   */
  public record State(int count, Map<String, Long> outSeqs) {
    public State {
      outSeqs = Map.copyOf(outSeqs);
    }

    public static final State EMPTY = new State(0, Map.of());
  }

  private final String eventsTopic;
  private final String egressTopic;

  public ChaosLogic(String eventsTopic, String egressTopic) {
    this.eventsTopic = Objects.requireNonNull(eventsTopic, "eventsTopic");
    this.egressTopic = Objects.requireNonNull(egressTopic, "egressTopic");
  }

  /** Handles {@code message} at {@code self}; returns the new state. */
  public State apply(
      FnAddress self, State state, ChaosMessage message, long nowMs, Effects effects) {
    int count = state.count();
    Map<String, Long> seqs = new TreeMap<>(state.outSeqs());
    int incs = 0;
    for (Command c : message.cmds()) {
      switch (c.op()) {
        case Command.INC -> {
          count++;
          incs++;
        }
        case Command.SEND -> {
          long seq = seqs.merge(c.to(), 1L, Long::sum);
          effects.send(c.target(), new ChaosMessage(c.uid(), self.toString(), seq, c.cmds()));
        }
        case Command.AFTER ->
            effects.sendAfter(
                Duration.ofMillis(c.delayMs()),
                c.token(),
                c.target(),
                new ChaosMessage(c.uid(), self.toString(), 0, c.cmds()));
        case Command.CANCEL -> effects.cancel(c.token());
        case Command.EGRESS ->
            effects.kafka(
                egressTopic,
                Long.toString(c.uid()),
                Json.bytes(new EgressRecord(c.uid(), self.toString())));
        case Command.VERIFY ->
            effects.kafka(
                eventsTopic,
                self.toString(),
                Json.bytes(FunctionEvent.verify(self, message.uid(), c.expected(), count, nowMs)));
        default ->
            throw new IllegalArgumentException(
                "unknown command '" + c.op() + "' in message " + message.uid());
      }
    }
    effects.kafka(
        eventsTopic,
        self.toString(),
        Json.bytes(FunctionEvent.applied(self, message, incs, count, nowMs)));
    return new State(count, seqs);
  }

  /** The stored form of {@link State#outSeqs()}. */
  public static byte[] encodeSeqs(Map<String, Long> seqs) {
    return Json.bytes(new TreeMap<>(seqs));
  }

  public static Map<String, Long> decodeSeqs(byte[] bytes) {
    try {
      return Json.MAPPER.readValue(bytes, new TypeReference<TreeMap<String, Long>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(
          "bad seqs state: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }
}
