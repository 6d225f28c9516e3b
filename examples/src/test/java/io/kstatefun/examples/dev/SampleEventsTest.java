package io.kstatefun.examples.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SampleEventsTest {

  @Test
  void shouldTakeTurnsBetweenTheChosenExamplesOnly() {
    SampleEvents events = new SampleEvents(List.of("greeter", "cart"), 1);

    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      topics.add(events.next().topic());
    }

    assertThat(topics).containsOnly("names", "inventory", "cart-commands");
    assertThat(topics.subList(0, 6))
        .containsExactly("names", "inventory", "names", "inventory", "names", "inventory");
  }

  @Test
  void shouldBeTheSameSequenceForTheSameSeed() {
    SampleEvents a = new SampleEvents(DevOptions.ALL_EXAMPLES, 42);
    SampleEvents b = new SampleEvents(DevOptions.ALL_EXAMPLES, 42);
    for (int i = 0; i < 100; i++) {
      assertThat(a.next()).isEqualTo(b.next());
    }
  }

  @Test
  void shouldPlayTheBillingScriptIncludingADeclinedCardAndAnUnsubscribe() {
    SampleEvents events = new SampleEvents(List.of("billing", "greeter"), 3);

    List<String> billing = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      SampleEvents.Event e = events.next();
      if (e.topic().equals("subscriptions")) {
        billing.add(e.key() + " " + e.value());
      }
    }

    String all = billing.stream().collect(Collectors.joining("\n"));
    assertThat(billing)
        .extracting(line -> line.substring(0, line.indexOf(' ')))
        .containsExactly("alice", "bob", "carol", "dave", "bob", "carol", "alice");
    assertThat(all)
        .contains(
            "carol {\"type\":\"subscribe\",\"plan\":\"pro\",\"priceCents\":1500,\"card\":\"4000000000000002\"}");
    assertThat(all).contains("bob {\"type\":\"unsubscribe\"}");
  }
}
