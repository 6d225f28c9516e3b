package io.kstatefun.runtime.internals.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.routing.FunctionType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a function that asks for missing states gets its batch again, and when the batch fails. */
class StateNegotiationTest {

  private static final FunctionType COUNTER = new FunctionType("example", "counter");
  private static final String INT = "io.statefun.types/int";

  private final StateSpecRegistry specs = new StateSpecRegistry();
  private final StateNegotiation negotiation = new StateNegotiation(specs, 3);

  @Test
  void shouldRegisterTheMissingStatesAndSendTheBatchAgain() {
    assertThat(negotiation.negotiate(COUNTER, flight(Set.of(), 0), List.of(spec("count", INT))))
        .isNull();
    assertThat(specs.spec(COUNTER, "count")).isEqualTo(spec("count", INT));
  }

  @Test
  void shouldFailOnAnInvalidSpecWithoutRegisteringAny() {
    for (PersistedValueSpec invalid :
        List.of(spec("", INT), spec("count", "int"), spec("count", "io.statefun.types/"))) {
      String failure =
          negotiation.negotiate(COUNTER, flight(Set.of(), 0), List.of(spec("other", INT), invalid));
      assertThat(failure)
          .startsWith(
              "function declared an invalid state spec: name '" + invalid.getStateName() + "'");
    }
    assertThat(specs.specsOf(COUNTER)).isEmpty();
  }

  @Test
  void shouldFailWhenTheFunctionAsksForAStateTheRequestCarried() {
    String failure =
        negotiation.negotiate(COUNTER, flight(Set.of("count"), 0), List.of(spec("count", INT)));
    assertThat(failure).isEqualTo("function keeps asking for states it was given: [count]");
  }

  @Test
  void shouldFailAfterTheMaximumNumberOfRounds() {
    assertThat(negotiation.negotiate(COUNTER, flight(Set.of(), 1), List.of(spec("a", INT))))
        .isNull();
    assertThat(negotiation.negotiate(COUNTER, flight(Set.of("a"), 2), List.of(spec("b", INT))))
        .isEqualTo("function keeps asking for states it was given: [b]");
  }

  private static InFlightBatch flight(Set<String> sentStates, int negotiations) {
    return new InFlightBatch(1, 0, 1, negotiations, sentStates, Integer.MAX_VALUE, null, 0L);
  }

  private static PersistedValueSpec spec(String name, String typename) {
    return PersistedValueSpec.newBuilder().setStateName(name).setTypeTypename(typename).build();
  }
}
