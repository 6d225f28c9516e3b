package io.kstatefun.examples.cart;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.util.Map;
import java.util.TreeMap;

/** The messages and state of the shopping cart application, all JSON. */
public final class CartMessages {

  private CartMessages() {}

  /** Namespace of the cart functions and types. */
  public static final String NAMESPACE = "cart";

  /**
   * A user's command from the ingress topic {@code cart-commands}, keyed by user id: {@code
   * {"type":"add","item":"socks","quantity":2}}, {@code {"type":"remove","item":"socks"}} or {@code
   * {"type":"checkout"}}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CartCommand(String type, String item, Integer quantity) {
    /** Adds {@code quantity} of {@code item}. */
    public static CartCommand add(String item, int quantity) {
      return new CartCommand("add", item, quantity);
    }

    /** Removes {@code item} (all of it) from the cart. */
    public static CartCommand remove(String item) {
      return new CartCommand("remove", item, null);
    }

    /** Buys what is in the cart. */
    public static CartCommand checkout() {
      return new CartCommand("checkout", null, null);
    }
  }

  /**
   * A stock command from the ingress topic {@code inventory}, keyed by item: {@code
   * {"type":"restock","quantity":10}}.
   */
  public record StockCommand(String type, int quantity) {
    /** Adds {@code quantity} to the available stock. */
    public static StockCommand restock(int quantity) {
      return new StockCommand("restock", quantity);
    }
  }

  /** Cart to inventory: {@code reserve}, {@code release} or {@code sell} {@code quantity}. */
  public record InventoryRequest(String op, int quantity) {}

  /** Inventory to cart: whether {@code requested} of {@code item} could be reserved. */
  public record ReservationResult(String item, int requested, boolean reserved, int available) {}

  /**
   * The cart's state: reserved quantities per item, quantities whose reservation is pending, and
   * whether a checkout waits for pending reservations.
   */
  public record CartState(
      Map<String, Integer> items, Map<String, Integer> pending, boolean checkoutRequested) {
    static CartState empty() {
      return new CartState(new TreeMap<>(), new TreeMap<>(), false);
    }

    public CartState {
      items = new TreeMap<>(items == null ? Map.of() : items);
      pending = new TreeMap<>(pending == null ? Map.of() : pending);
    }
  }

  /** An item's stock: available to reserve, reserved by carts, sold. */
  public record Stock(int available, int reserved, int sold) {}

  /**
   * A record of the egress topic {@code cart-events}. Carts write (keyed by user) {@code reserved},
   * {@code out-of-stock}, {@code released}, {@code order-placed} and {@code nothing-to-order}; the
   * inventory writes (keyed by item) {@code stock} after every change.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CartEvent(
      String event,
      String item,
      Integer quantity,
      Integer available,
      Integer reserved,
      Integer sold,
      Map<String, Integer> items) {

    static CartEvent ofItem(String event, String item, int quantity) {
      return new CartEvent(event, item, quantity, null, null, null, null);
    }

    static CartEvent stock(Stock stock) {
      return new CartEvent(
          "stock", null, null, stock.available(), stock.reserved(), stock.sold(), null);
    }
  }

  /** Ingress type of {@link CartCommand}. */
  public static final Type<CartCommand> CART_COMMAND = json("cart-command", CartCommand.class);

  /** Ingress type of {@link StockCommand}. */
  public static final Type<StockCommand> STOCK_COMMAND = json("stock-command", StockCommand.class);

  static final Type<InventoryRequest> INVENTORY_REQUEST =
      json("inventory-request", InventoryRequest.class);
  static final Type<ReservationResult> RESERVATION_RESULT =
      json("reservation-result", ReservationResult.class);
  static final Type<CartState> CART_STATE = json("cart-state", CartState.class);
  static final Type<Stock> STOCK = json("stock", Stock.class);

  /** Egress type of {@link CartEvent}. */
  public static final Type<CartEvent> CART_EVENT = json("event", CartEvent.class);

  private static <T> Type<T> json(String name, Class<T> type) {
    return Types.jsonType(TypeName.of(NAMESPACE, name), type);
  }
}
