package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.DeadLetterReason;
import java.util.ArrayList;
import java.util.List;

/**
 * StateFun's state negotiation: a function that misses states answers {@code
 * IncompleteInvocationContext} with their specs; they are registered for its function type and the
 * same batch is sent again, carrying them. A batch fails (reason {@link
 * DeadLetterReason#STATE_NEGOTIATION_FAILED}) when a spec is invalid, when the function asks for
 * states the request already carried, or after {@link Dispatcher.Limits#maxNegotiationRounds()}.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it; the
 * {@link StateSpecRegistry} is shared and thread-safe.
 */
final class StateNegotiation {

  private final StateSpecRegistry specs;
  private final int maxRounds;

  StateNegotiation(StateSpecRegistry specs, int maxRounds) {
    this.specs = specs;
    this.maxRounds = maxRounds;
  }

  /**
   * The function of {@code type} answered {@code flight} with the {@code missing} specs: registers
   * them if they are valid.
   *
   * @return {@code null} when the batch is to be sent again, otherwise why it fails
   */
  String negotiate(FunctionType type, InFlightBatch flight, List<PersistedValueSpec> missing) {
    for (PersistedValueSpec spec : missing) {
      if (spec.getStateName().isEmpty() || !isTypename(spec.getTypeTypename())) {
        return "function declared an invalid state spec: name '"
            + spec.getStateName()
            + "', type '"
            + spec.getTypeTypename()
            + "'";
      }
    }
    specs.register(type, missing);
    // Another address of the same type may have registered these specs meanwhile: that is fine.
    // What is not fine is a function asking for states the request already carried.
    boolean askedForSentState = false;
    for (PersistedValueSpec spec : missing) {
      askedForSentState |= flight.sentStates().contains(spec.getStateName());
    }
    if (askedForSentState || flight.negotiations() + 1 >= maxRounds) {
      return "function keeps asking for states it was given: " + names(missing);
    }
    return null;
  }

  private static boolean isTypename(String typename) {
    int slash = typename.indexOf('/');
    return slash > 0 && slash < typename.length() - 1;
  }

  private static String names(List<PersistedValueSpec> specs) {
    List<String> names = new ArrayList<>(specs.size());
    for (PersistedValueSpec s : specs) {
      names.add(s.getStateName());
    }
    return names.toString();
  }
}
