package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.DelayedInvocation;
import io.kstatefun.protocol.FromFunction.EgressMessage;
import io.kstatefun.protocol.FromFunction.InvocationResponse;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation;
import io.kstatefun.protocol.FromFunction.PersistedValueMutation.MutationType;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a function's {@code InvocationResponse} before anything of it is applied, so that a
 * response is applied whole or not at all. In this order, the first problem wins: state mutations
 * (declared states, declared types), egress messages (declared egress, a {@code
 * KafkaProducerRecord} with a topic, an existing topic), message targets, delayed messages
 * (non-negative delay, valid target), and last the sizes of the records it would write ({@link
 * OutputSizes}).
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it.
 */
final class ResponseValidator {

  /**
   * The outcome: valid ({@code reason == null}) with the messages to deliver and the egress records
   * to emit, or rejected with the reason and detail its batch is dead-lettered with.
   */
  record Verdict(
      DeadLetterReason reason,
      String detail,
      List<Envelope> messages,
      List<Action.EmitEgress> egress) {

    static Verdict rejected(DeadLetterReason reason, String detail) {
      return new Verdict(reason, detail, List.of(), List.of());
    }

    boolean valid() {
      return reason == null;
    }
  }

  private final StateSpecRegistry specs;
  private final Dispatcher.Directory directory;
  private final OutputSizes sizes;

  ResponseValidator(StateSpecRegistry specs, Dispatcher.Directory directory, OutputSizes sizes) {
    this.specs = specs;
    this.directory = directory;
    this.sizes = sizes;
  }

  /**
   * Validates the response of the function at {@code sender}.
   *
   * @param origin the origin of the batch, which the response's messages carry ({@code null}: none)
   */
  Verdict validate(Address sender, InvocationResponse response, Origin origin) {
    Verdict rejected = checkStateMutations(sender.type(), response.getStateMutationsList());
    if (rejected != null) {
      return rejected;
    }
    List<Action.EmitEgress> egress = new ArrayList<>(response.getOutgoingEgressesCount());
    for (EgressMessage message : response.getOutgoingEgressesList()) {
      rejected = checkEgress(message, egress);
      if (rejected != null) {
        return rejected;
      }
    }
    for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
      String problem = Envelopes.invalidAddress(message.getTarget());
      if (problem != null) {
        return Verdict.rejected(
            DeadLetterReason.INVALID_ADDRESS,
            "function sent a message to an invalid address: " + problem);
      }
    }
    rejected = checkDelayedMessages(response.getDelayedInvocationsList());
    if (rejected != null) {
      return rejected;
    }
    List<Envelope> messages = new ArrayList<>(response.getOutgoingMessagesCount());
    for (FromFunction.Invocation message : response.getOutgoingMessagesList()) {
      messages.add(Envelopes.outgoing(sender, message.getTarget(), message.getArgument(), origin));
    }
    String oversized = sizes.oversized(sender, response, messages, egress, origin);
    if (oversized != null) {
      return Verdict.rejected(DeadLetterReason.OUTPUT_TOO_LARGE, oversized);
    }
    return new Verdict(null, null, messages, egress);
  }

  private Verdict checkStateMutations(FunctionType type, List<PersistedValueMutation> mutations) {
    for (PersistedValueMutation mutation : mutations) {
      PersistedValueSpec spec = specs.spec(type, mutation.getStateName());
      if (spec == null) {
        return Verdict.rejected(
            DeadLetterReason.UNDECLARED_STATE_MUTATION,
            "function changed state '" + mutation.getStateName() + "' that it never declared");
      }
      if (mutation.getMutationType() == MutationType.MODIFY
          && !mutation.getStateValue().getTypename().equals(spec.getTypeTypename())) {
        return Verdict.rejected(
            DeadLetterReason.STATE_TYPE_MISMATCH,
            "state '"
                + mutation.getStateName()
                + "' is declared as "
                + spec.getTypeTypename()
                + " but was written as "
                + mutation.getStateValue().getTypename());
      }
    }
    return null;
  }

  /**
   * Checks one egress message: the egress must be declared, its payload must be a {@code
   * KafkaProducerRecord} with a topic, and the topic must exist ({@link
   * Dispatcher.Directory#egressTopicExists}). Adds the record to {@code egress} when it is valid.
   *
   * @return the rejection, or {@code null} when the message is valid
   */
  private Verdict checkEgress(EgressMessage message, List<Action.EmitEgress> egress) {
    String egressId = message.getEgressNamespace() + "/" + message.getEgressType();
    if (!directory.hasEgress(egressId)) {
      return Verdict.rejected(
          DeadLetterReason.UNKNOWN_EGRESS,
          "function sent to egress " + egressId + ", which the module does not declare");
    }
    Action.EmitEgress record = EgressRecords.toKafkaRecord(egressId, message.getArgument());
    if (record == null) {
      return Verdict.rejected(
          DeadLetterReason.MALFORMED_EGRESS_RECORD,
          "egress "
              + egressId
              + " expects a "
              + Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME
              + " with a topic, got typename '"
              + message.getArgument().getTypename()
              + "'");
    }
    if (!directory.egressTopicExists(record.topic())) {
      return Verdict.rejected(
          DeadLetterReason.EGRESS_TOPIC_MISSING,
          "egress "
              + egressId
              + " record for topic '"
              + record.topic()
              + "', which does not exist");
    }
    egress.add(record);
    return null;
  }

  private Verdict checkDelayedMessages(List<DelayedInvocation> delayedMessages) {
    for (DelayedInvocation delayed : delayedMessages) {
      if (delayed.getIsCancellationRequest()) {
        continue;
      }
      if (delayed.getDelayInMs() < 0) {
        return Verdict.rejected(
            DeadLetterReason.INVALID_DELAYED_MESSAGE,
            "negative delay " + delayed.getDelayInMs() + " ms");
      }
      String problem = Envelopes.invalidAddress(delayed.getTarget());
      if (problem != null) {
        return Verdict.rejected(
            DeadLetterReason.INVALID_ADDRESS,
            "function sent a delayed message to an invalid address: " + problem);
      }
    }
    return null;
  }
}
