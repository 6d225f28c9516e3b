package io.kstatefun.examples.cart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.examples.cart.CartMessages.CartCommand;
import io.kstatefun.examples.cart.CartMessages.CartEvent;
import io.kstatefun.examples.cart.CartMessages.StockCommand;
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
 * The shopping cart on the kstatefun runtime and a real broker: carts (per user) and inventories
 * (per item) message each other; events are read with read_committed from {@code cart-events}. Each
 * test uses its own items and users.
 */
@ExtendWith(SharedKafka.class)
@Timeout(180)
class ShoppingCartIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static LocalKafkaBroker kafka;
  private static FunctionServer functions;
  private static KStatefunRuntime runtime;
  private static KafkaProducer<byte[], byte[]> producer;

  @TempDir static Path dir;

  @BeforeAll
  static void start(LocalKafkaBroker broker) throws Exception {
    kafka = broker;
    kafka.createTopics(
        Map.of(
            ShoppingCart.COMMANDS_TOPIC,
            2,
            ShoppingCart.INVENTORY_TOPIC,
            2,
            ShoppingCart.EVENTS_TOPIC,
            1));
    functions =
        new FunctionServer(
                ShoppingCart.registry(), FunctionServerOptions.defaults().withHost("127.0.0.1"))
            .listen(0);
    runtime = ExampleRuntime.start(kafka, "cart", "http://127.0.0.1:" + functions.port(), dir);
    producer = ExampleRuntime.producer(kafka);
  }

  @AfterAll
  static void stop() {
    ExampleRuntime.closeAll(producer, runtime, functions);
  }

  @Test
  void shouldReserveReleaseAndSellThroughTheItemsInventory() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), ShoppingCart.EVENTS_TOPIC)) {
      restock("socks", 3);
      events.awaitUntil(all -> last(events, "socks").equals(stock(3, 0, 0)), WAIT);

      command("alice", CartCommand.add("socks", 2));
      events.awaitUntil(all -> names(events, "alice").contains("reserved"), WAIT);

      command("bob", CartCommand.add("socks", 2)); // only 1 left
      events.awaitUntil(all -> names(events, "bob").contains("out-of-stock"), WAIT);
      assertThat(find(events, "bob", "out-of-stock"))
          .isEqualTo(new CartEvent("out-of-stock", "socks", 2, 1, null, null, null));

      command("alice", CartCommand.remove("socks"));
      events.awaitUntil(all -> last(events, "socks").equals(stock(3, 0, 0)), WAIT);

      command("bob", CartCommand.add("socks", 2));
      command("bob", CartCommand.checkout());
      events.awaitUntil(all -> names(events, "bob").contains("order-placed"), WAIT);
      events.awaitUntil(all -> last(events, "socks").equals(stock(1, 0, 2)), WAIT);

      assertThat(names(events, "alice")).containsExactly("reserved", "released");
      assertThat(names(events, "bob")).containsExactly("out-of-stock", "reserved", "order-placed");
      assertThat(find(events, "bob", "order-placed").items()).isEqualTo(Map.of("socks", 2));
      assertThat(events.forKey("socks"))
          .extracting(ShoppingCartIT::event)
          .containsExactly(
              stock(3, 0, 0), stock(1, 2, 0), stock(3, 0, 0), stock(1, 2, 0), stock(1, 0, 2));
    }
  }

  @Test
  void shouldNeverReserveMoreThanTheStockWhenManyCartsCompete() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), ShoppingCart.EVENTS_TOPIC)) {
      restock("lamp", 5);
      events.awaitUntil(all -> last(events, "lamp").equals(stock(5, 0, 0)), WAIT);

      List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8");
      for (String user : users) {
        command(user, CartCommand.add("lamp", 1));
        command(user, CartCommand.checkout());
      }
      events.awaitUntil(
          all ->
              users.stream()
                  .allMatch(
                      u ->
                          names(events, u).stream()
                              .anyMatch(
                                  n -> n.equals("order-placed") || n.equals("nothing-to-order"))),
          WAIT);
      events.awaitUntil(
          all -> event(events.forKey("lamp").get(events.forKey("lamp").size() - 1)).reserved() == 0,
          WAIT);
      events.readFor(Duration.ofSeconds(1));

      long ordered = users.stream().filter(u -> names(events, u).contains("order-placed")).count();
      long outOfStock =
          users.stream().filter(u -> names(events, u).contains("out-of-stock")).count();
      assertThat(ordered).isEqualTo(5);
      assertThat(outOfStock).isEqualTo(3);
      assertThat(last(events, "lamp")).isEqualTo(stock(0, 0, 5));
    }
  }

  @Test
  void shouldReportAnEmptyCheckout() throws Exception {
    try (EgressLog events = new EgressLog(kafka.bootstrapServers(), ShoppingCart.EVENTS_TOPIC)) {
      command("zoe", CartCommand.checkout());
      events.awaitUntil(all -> !names(events, "zoe").isEmpty(), WAIT);
      assertThat(names(events, "zoe")).containsExactly("nothing-to-order");
    }
  }

  private static void command(String user, CartCommand command) throws Exception {
    ExampleRuntime.send(
        producer, ShoppingCart.COMMANDS_TOPIC, user, JSON.writeValueAsString(command));
  }

  private static void restock(String item, int quantity) throws Exception {
    ExampleRuntime.send(
        producer,
        ShoppingCart.INVENTORY_TOPIC,
        item,
        JSON.writeValueAsString(StockCommand.restock(quantity)));
  }

  private static CartEvent stock(int available, int reserved, int sold) {
    return new CartEvent("stock", null, null, available, reserved, sold, null);
  }

  private static CartEvent event(EgressLog.Entry entry) {
    try {
      return JSON.readValue(entry.value(), CartEvent.class);
    } catch (Exception e) {
      throw new AssertionError("not a cart event: " + entry, e);
    }
  }

  private static List<String> names(EgressLog events, String key) {
    return events.forKey(key).stream().map(e -> event(e).event()).toList();
  }

  private static CartEvent last(EgressLog events, String key) {
    List<EgressLog.Entry> entries = events.forKey(key);
    return entries.isEmpty()
        ? new CartEvent("none", null, null, null, null, null, null)
        : event(entries.get(entries.size() - 1));
  }

  private static CartEvent find(EgressLog events, String key, String name) {
    return events.forKey(key).stream()
        .map(ShoppingCartIT::event)
        .filter(e -> e.event().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
