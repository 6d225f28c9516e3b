package io.kstatefun.examples.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.examples.billing.BillingMessages.BillingEvent;
import io.kstatefun.examples.billing.BillingMessages.Command;
import io.kstatefun.examples.testing.EgressLog;
import io.kstatefun.examples.testing.ExampleRuntime;
import io.kstatefun.examples.testing.SharedKafka;
import io.kstatefun.localkafka.LocalKafkaBroker;
import io.kstatefun.runtime.KStatefunRuntime;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The billing application on the kstatefun runtime and a real broker, with a billing period of 2 s:
 * reminders are delayed messages the subscription sends to itself, cancelled on unsubscribe and on
 * suspension. Events are read with read_committed from {@code billing-events}.
 */
@ExtendWith(SharedKafka.class)
@Timeout(180)
class BillingIT {

  private static final Duration PERIOD = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LocalKafkaBroker kafka;
  private static FunctionServer functions;
  private static KStatefunRuntime runtime;
  private static KafkaProducer<byte[], byte[]> producer;

  @TempDir static Path dir;

  @BeforeAll
  static void start(LocalKafkaBroker broker) throws Exception {
    kafka = broker;
    kafka.createTopics(Map.of(Billing.COMMANDS_TOPIC, 2, Billing.EVENTS_TOPIC, 1));
    functions =
        new FunctionServer(
                Billing.registry(PERIOD), FunctionServerOptions.defaults().withHost("127.0.0.1"))
            .listen(0);
    runtime = ExampleRuntime.start(kafka, "billing", "http://127.0.0.1:" + functions.port(), dir);
    producer = ExampleRuntime.producer(kafka);
  }

  @AfterAll
  static void stop() {
    ExampleRuntime.closeAll(producer, runtime, functions);
  }

  @Test
  void shouldChargeEveryBillingPeriodThroughDelayedReminders() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), Billing.EVENTS_TOPIC)) {
      send("alice", Command.subscribe("pro", 1500, "4242424242424242"));

      events.awaitUntil(all -> paidInvoices(events, "alice") >= 3, Duration.ofSeconds(60));

      List<EgressLog.Entry> paid =
          events.forKey("alice").stream().filter(e -> event(e).event().equals("paid")).toList();
      assertThat(event(events.forKey("alice").get(0)))
          .isEqualTo(new BillingEvent("subscribed", "pro", null, 1500L, null));
      assertThat(paid.subList(0, 3)).extracting(e -> event(e).invoice()).containsExactly(1, 2, 3);
      assertThat(paid.subList(0, 3))
          .allSatisfy(e -> assertThat(event(e).amountCents()).isEqualTo(1500L));
      // Invoice 1 is charged at once, the next ones one period apart (timers never fire early).
      assertThat(paid.get(2).seenAtMillis() - paid.get(0).seenAtMillis())
          .as("ms between invoice 1 and invoice 3")
          .isGreaterThanOrEqualTo(2 * PERIOD.toMillis() - 500);
    }
  }

  @Test
  void shouldStopBillingOnUnsubscribeBecauseThePendingReminderIsCancelled() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), Billing.EVENTS_TOPIC)) {
      send("bob", Command.subscribe("basic", 500, "5555555555554444"));
      events.awaitUntil(all -> paidInvoices(events, "bob") >= 2, Duration.ofSeconds(60));

      send("bob", Command.unsubscribe());
      events.awaitUntil(
          all -> eventNames(events, "bob").contains("unsubscribed"), Duration.ofSeconds(30));
      events.readFor(PERIOD.multipliedBy(2)); // a live reminder would have fired within one period

      List<String> afterUnsubscribe = afterFirst(eventNames(events, "bob"), "unsubscribed");
      assertThat(afterUnsubscribe)
          .as(
              "events after unsubscribed (an in-flight payment result may still arrive, nothing else)")
          .isSubsetOf("paid")
          .hasSizeLessThanOrEqualTo(1);
    }
  }

  @Test
  void shouldSuspendAfterTwoDeclinedPaymentsAndStopReminding() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), Billing.EVENTS_TOPIC)) {
      send("carol", Command.subscribe("pro", 1500, Payment.DECLINED_CARD));
      events.awaitUntil(
          all -> eventNames(events, "carol").contains("suspended"), Duration.ofSeconds(60));
      events.readFor(PERIOD.multipliedBy(2));

      assertThat(eventNames(events, "carol"))
          .containsExactly("subscribed", "declined", "declined", "suspended");
      assertThat(events.forKey("carol"))
          .filteredOn(e -> event(e).event().equals("declined"))
          .allSatisfy(e -> assertThat(event(e).reason()).isEqualTo("card declined"));
    }
  }

  @Test
  void shouldResumeBillingWhenASuspendedCustomerSubscribesWithAnotherCard() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), Billing.EVENTS_TOPIC)) {
      send("dave", Command.subscribe("pro", 1500, Payment.DECLINED_CARD));
      events.awaitUntil(
          all -> eventNames(events, "dave").contains("suspended"), Duration.ofSeconds(60));

      send("dave", Command.subscribe("pro", 1500, "4242424242424242"));
      events.awaitUntil(all -> paidInvoices(events, "dave") >= 2, Duration.ofSeconds(60));

      List<String> names = eventNames(events, "dave");
      assertThat(names.subList(0, 7))
          .containsExactly(
              "subscribed", "declined", "declined", "suspended", "subscribed", "paid", "paid");
      assertThat(events.forKey("dave"))
          .filteredOn(e -> event(e).event().equals("paid"))
          .extracting(e -> event(e).invoice())
          .startsWith(3, 4);
    }
  }

  private static void send(String customer, Command command) throws Exception {
    ExampleRuntime.send(
        producer, Billing.COMMANDS_TOPIC, customer, JSON.writeValueAsString(command));
  }

  private static BillingEvent event(EgressLog.Entry entry) {
    try {
      return JSON.readValue(entry.value(), BillingEvent.class);
    } catch (Exception e) {
      throw new AssertionError("not a billing event: " + entry, e);
    }
  }

  private static List<String> eventNames(EgressLog events, String customer) {
    return events.forKey(customer).stream().map(e -> event(e).event()).toList();
  }

  private static long paidInvoices(EgressLog events, String customer) {
    return eventNames(events, customer).stream().filter("paid"::equals).count();
  }

  private static List<String> afterFirst(List<String> names, String marker) {
    int i = names.indexOf(marker);
    return i < 0 ? List.of() : names.subList(i + 1, names.size());
  }
}
