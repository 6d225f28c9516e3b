package io.kstatefun.examples.dev;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kstatefun.examples.billing.Billing;
import io.kstatefun.examples.billing.BillingMessages.Command;
import io.kstatefun.examples.billing.Payment;
import io.kstatefun.examples.cart.CartMessages.CartCommand;
import io.kstatefun.examples.cart.CartMessages.StockCommand;
import io.kstatefun.examples.cart.ShoppingCart;
import io.kstatefun.examples.greeter.Greeter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The demo's sample input: an endless, seeded sequence of ingress records for the chosen examples,
 * taking turns. The greeter gets random names; billing follows a short script (subscriptions, one
 * with a card that is always declined, an unsubscribe, a resubscription with a new card); the cart
 * gets a restock of every item, then random adds, removes, checkouts and the odd restock.
 *
 * <p>Threading: not thread safe; one generator thread calls {@link #next()}.
 */
final class SampleEvents {

  /** One ingress record to send. */
  record Event(String topic, String key, String value) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> NAMES =
      List.of("alice", "bob", "carol", "dave", "erin", "frank");
  private static final List<String> SHOPPERS = List.of("ann", "ben", "cleo");
  private static final List<String> ITEMS = List.of("socks", "mug", "hat");
  private static final String GOOD_CARD = "4242424242424242";

  private final List<Source> sources = new ArrayList<>();
  private int turn;

  SampleEvents(List<String> examples, long seed) {
    Random random = new Random(seed);
    for (String example : examples) {
      switch (example) {
        case "greeter" -> sources.add(new GreeterSource(random));
        case "billing" -> sources.add(new BillingSource());
        case "cart" -> sources.add(new CartSource(random));
        default -> throw new IllegalArgumentException("unknown example '" + example + "'");
      }
    }
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("no examples");
    }
  }

  /** The next record: from the next example in turn that has one. */
  Event next() {
    for (int i = 0; i < sources.size(); i++) {
      Source source = sources.get(turn++ % sources.size());
      Optional<Event> event = source.next();
      if (event.isPresent()) {
        return event.get();
      }
    }
    throw new IllegalStateException("no example has a sample event"); // the greeter always has one
  }

  private interface Source {
    Optional<Event> next();
  }

  private static final class GreeterSource implements Source {
    private final Random random;

    GreeterSource(Random random) {
      this.random = random;
    }

    @Override
    public Optional<Event> next() {
      String name = NAMES.get(random.nextInt(NAMES.size()));
      return Optional.of(new Event(Greeter.NAMES_TOPIC, name, name));
    }
  }

  /** A script: one step every few of the billing source's turns; a null step sends nothing. */
  private static final class BillingSource implements Source {
    private static final int TURNS_PER_STEP = 3;
    private final List<Event> script = new ArrayList<>();
    private int turns;

    BillingSource() {
      script.add(command("alice", Command.subscribe("pro", 1500, GOOD_CARD)));
      script.add(command("bob", Command.subscribe("basic", 500, GOOD_CARD)));
      script.add(command("carol", Command.subscribe("pro", 1500, Payment.DECLINED_CARD)));
      script.add(null);
      script.add(null);
      script.add(command("dave", Command.subscribe("team", 4900, GOOD_CARD)));
      script.add(null);
      script.add(command("bob", Command.unsubscribe()));
      script.add(null);
      script.add(null);
      script.add(command("carol", Command.subscribe("pro", 1500, "5555555555554444")));
      script.add(null);
      script.add(command("alice", Command.subscribe("team", 4900, GOOD_CARD)));
    }

    @Override
    public Optional<Event> next() {
      int turn = turns++;
      int step = turn / TURNS_PER_STEP;
      if (turn % TURNS_PER_STEP != 0 || step >= script.size()) {
        return Optional.empty();
      }
      return Optional.ofNullable(script.get(step));
    }

    private static Event command(String customer, Command command) {
      return new Event(Billing.COMMANDS_TOPIC, customer, json(command));
    }
  }

  private static final class CartSource implements Source {
    private final Random random;
    private final Deque<Event> restocks = new ArrayDeque<>();

    CartSource(Random random) {
      this.random = random;
      for (String item : ITEMS) {
        restocks.add(restock(item, 2 + random.nextInt(3)));
      }
    }

    @Override
    public Optional<Event> next() {
      if (!restocks.isEmpty()) {
        return Optional.of(restocks.poll());
      }
      String shopper = SHOPPERS.get(random.nextInt(SHOPPERS.size()));
      String item = ITEMS.get(random.nextInt(ITEMS.size()));
      int dice = random.nextInt(100);
      CartCommand command;
      if (dice < 12) {
        return Optional.of(restock(item, 1 + random.nextInt(3)));
      } else if (dice < 70) {
        command = CartCommand.add(item, 1 + random.nextInt(2));
      } else if (dice < 84) {
        command = CartCommand.remove(item);
      } else {
        command = CartCommand.checkout();
      }
      return Optional.of(new Event(ShoppingCart.COMMANDS_TOPIC, shopper, json(command)));
    }

    private static Event restock(String item, int quantity) {
      return new Event(ShoppingCart.INVENTORY_TOPIC, item, json(StockCommand.restock(quantity)));
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
