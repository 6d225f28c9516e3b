package io.kstatefun.examples.cart;

import static io.kstatefun.examples.cart.CartMessages.CART_EVENT;

import io.kstatefun.examples.cart.CartMessages.CartEvent;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.http.FunctionServer;

/**
 * The shopping cart application: {@link Cart} (per user) and {@link Inventory} (per item), which
 * message each other to reserve, release and sell items.
 *
 * <pre>
 *   cart-commands (Kafka) ──> cart/cart ──reserve/release/sell──> cart/inventory <── inventory (Kafka)
 *                                │   ▲                                 │    │
 *                                │   └────── reservation result ───────┘    │
 *                                └──────────────> cart-events (Kafka) <─────┘
 * </pre>
 */
public final class ShoppingCart {

  /** The ingress topic of user commands. */
  public static final String COMMANDS_TOPIC = "cart-commands";

  /** The ingress topic of stock commands. */
  public static final String INVENTORY_TOPIC = "inventory";

  /** The egress topic of cart and stock events. */
  public static final String EVENTS_TOPIC = "cart-events";

  /** The egress the events go to (declared in module.yaml). */
  public static final TypeName EVENTS_EGRESS = TypeName.of(CartMessages.NAMESPACE, "events");

  private ShoppingCart() {}

  /** Both functions. */
  public static FunctionRegistry registry() {
    return FunctionRegistry.of(Cart.SPEC, Inventory.SPEC);
  }

  static void emit(Context context, CartEvent event) {
    context.send(
        KafkaEgressMessage.forEgress(EVENTS_EGRESS)
            .withTopic(EVENTS_TOPIC)
            .withUtf8Key(context.self().id())
            .withValue(CART_EVENT, event)
            .build());
  }

  /**
   * Serves the cart functions over HTTP on {@code port} (0 = a free one); close the server to stop.
   */
  public static FunctionServer serve(int port) {
    return new FunctionServer(registry()).listen(port);
  }

  /** Serves the cart functions over HTTP: {@code ShoppingCart [port]} (default 8000). */
  public static void main(String[] args) {
    FunctionServer server = serve(args.length > 0 ? Integer.parseInt(args[0]) : 8000);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cart-shutdown"));
    System.out.println("shopping cart functions listening on port " + server.port());
  }
}
