package io.kstatefun.examples.cart;

import static io.kstatefun.examples.cart.CartMessages.CART_COMMAND;
import static io.kstatefun.examples.cart.CartMessages.CART_STATE;
import static io.kstatefun.examples.cart.CartMessages.INVENTORY_REQUEST;
import static io.kstatefun.examples.cart.CartMessages.RESERVATION_RESULT;

import io.kstatefun.examples.cart.CartMessages.CartCommand;
import io.kstatefun.examples.cart.CartMessages.CartEvent;
import io.kstatefun.examples.cart.CartMessages.CartState;
import io.kstatefun.examples.cart.CartMessages.InventoryRequest;
import io.kstatefun.examples.cart.CartMessages.ReservationResult;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A user's shopping cart ({@code cart/cart}, id = user id). Items are reserved in the {@link
 * Inventory} (one function instance per item) before they count as in the cart.
 *
 * <ul>
 *   <li>{@code add}: asks the item's inventory to reserve the quantity; the reply adds it to the
 *       cart ({@code reserved}) or reports {@code out-of-stock}.
 *   <li>{@code remove}: releases the item's reservation and drops it ({@code released}).
 *   <li>{@code checkout}: turns every reservation into a sale and empties the cart ({@code
 *       order-placed}). A checkout that arrives while reservations are pending waits for their
 *       replies, so an {@code add} immediately followed by {@code checkout} buys the item. An empty
 *       cart reports {@code nothing-to-order}.
 * </ul>
 */
public final class Cart implements StatefulFunction {

  /** The function type. */
  public static final TypeName TYPE = TypeName.of(CartMessages.NAMESPACE, "cart");

  static final ValueSpec<CartState> STATE = ValueSpec.named("cart").withType(CART_STATE);

  /** The declaration. */
  public static final StatefulFunctionSpec SPEC =
      StatefulFunctionSpec.builder(TYPE).withValueSpecs(STATE).withSupplier(Cart::new).build();

  @Override
  public CompletableFuture<Void> apply(Context context, Message message) {
    CartState cart = context.storage().get(STATE).orElseGet(CartState::empty);
    if (message.is(CART_COMMAND)) {
      CartCommand command = message.as(CART_COMMAND);
      cart =
          switch (command.type()) {
            case "add" -> add(context, cart, command);
            case "remove" -> remove(context, cart, command.item());
            case "checkout" -> checkout(context, new CartState(cart.items(), cart.pending(), true));
            default ->
                throw new IllegalArgumentException(
                    "unknown command type '" + command.type() + "' for " + context.self());
          };
    } else if (message.is(RESERVATION_RESULT)) {
      cart = reservationResult(context, cart, message.as(RESERVATION_RESULT));
    } else {
      throw new IllegalArgumentException(
          "unexpected message of type " + message.valueTypeNameString() + " for " + context.self());
    }
    if (cart.items().isEmpty() && cart.pending().isEmpty() && !cart.checkoutRequested()) {
      context.storage().remove(STATE);
    } else {
      context.storage().set(STATE, cart);
    }
    return context.done();
  }

  private static CartState add(Context context, CartState cart, CartCommand command) {
    if (command.item() == null || command.quantity() == null || command.quantity() <= 0) {
      throw new IllegalArgumentException(
          "add needs an item and a positive quantity: " + command + " for " + context.self());
    }
    Map<String, Integer> pending = new TreeMap<>(cart.pending());
    pending.merge(command.item(), command.quantity(), Integer::sum);
    inventory(context, command.item(), new InventoryRequest("reserve", command.quantity()));
    return new CartState(cart.items(), pending, cart.checkoutRequested());
  }

  private static CartState remove(Context context, CartState cart, String item) {
    Integer quantity = cart.items().get(item);
    if (quantity == null) {
      return cart;
    }
    Map<String, Integer> items = new TreeMap<>(cart.items());
    items.remove(item);
    inventory(context, item, new InventoryRequest("release", quantity));
    emit(context, CartEvent.ofItem("released", item, quantity));
    return new CartState(items, cart.pending(), cart.checkoutRequested());
  }

  private static CartState reservationResult(
      Context context, CartState cart, ReservationResult result) {
    Map<String, Integer> pending = new TreeMap<>(cart.pending());
    pending.computeIfPresent(
        result.item(), (item, q) -> q - result.requested() > 0 ? q - result.requested() : null);
    Map<String, Integer> items = new TreeMap<>(cart.items());
    if (result.reserved()) {
      items.merge(result.item(), result.requested(), Integer::sum);
      emit(context, CartEvent.ofItem("reserved", result.item(), result.requested()));
    } else {
      emit(
          context,
          new CartEvent(
              "out-of-stock",
              result.item(),
              result.requested(),
              result.available(),
              null,
              null,
              null));
    }
    return checkout(context, new CartState(items, pending, cart.checkoutRequested()));
  }

  /** Places the order if one was requested and no reservation is pending any more. */
  private static CartState checkout(Context context, CartState cart) {
    if (!cart.checkoutRequested() || !cart.pending().isEmpty()) {
      return cart;
    }
    if (cart.items().isEmpty()) {
      emit(context, new CartEvent("nothing-to-order", null, null, null, null, null, null));
      return CartState.empty();
    }
    cart.items()
        .forEach(
            (item, quantity) -> inventory(context, item, new InventoryRequest("sell", quantity)));
    emit(context, new CartEvent("order-placed", null, null, null, null, null, cart.items()));
    return CartState.empty();
  }

  private static void inventory(Context context, String item, InventoryRequest request) {
    context.send(
        MessageBuilder.forAddress(Inventory.TYPE, item)
            .withValue(INVENTORY_REQUEST, request)
            .build());
  }

  private static void emit(Context context, CartEvent event) {
    ShoppingCart.emit(context, event);
  }
}
