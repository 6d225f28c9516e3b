package io.kstatefun.examples.cart;

import static io.kstatefun.examples.cart.CartMessages.INVENTORY_REQUEST;
import static io.kstatefun.examples.cart.CartMessages.RESERVATION_RESULT;
import static io.kstatefun.examples.cart.CartMessages.STOCK;
import static io.kstatefun.examples.cart.CartMessages.STOCK_COMMAND;

import io.kstatefun.examples.cart.CartMessages.CartEvent;
import io.kstatefun.examples.cart.CartMessages.InventoryRequest;
import io.kstatefun.examples.cart.CartMessages.ReservationResult;
import io.kstatefun.examples.cart.CartMessages.Stock;
import io.kstatefun.examples.cart.CartMessages.StockCommand;
import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import java.util.concurrent.CompletableFuture;

/**
 * The stock of one item ({@code cart/inventory}, id = item). Because one address handles one
 * message at a time, two carts can never reserve the same last unit.
 *
 * <ul>
 *   <li>{@code restock} (ingress): adds to the available quantity.
 *   <li>{@code reserve} (from a cart): moves the quantity from available to reserved if enough is
 *       available, and replies with a {@link ReservationResult} either way.
 *   <li>{@code release}: moves a reservation back to available; {@code sell}: from reserved to
 *       sold.
 * </ul>
 *
 * After every change it writes a {@code stock} event keyed by the item.
 */
public final class Inventory implements StatefulFunction {

  /** The function type. */
  public static final TypeName TYPE = TypeName.of(CartMessages.NAMESPACE, "inventory");

  static final ValueSpec<Stock> STOCK_STATE = ValueSpec.named("stock").withType(STOCK);

  /** The declaration. */
  public static final StatefulFunctionSpec SPEC =
      StatefulFunctionSpec.builder(TYPE)
          .withValueSpecs(STOCK_STATE)
          .withSupplier(Inventory::new)
          .build();

  @Override
  public CompletableFuture<Void> apply(Context context, Message message) {
    Stock stock = context.storage().get(STOCK_STATE).orElse(new Stock(0, 0, 0));
    String item = context.self().id();
    if (message.is(STOCK_COMMAND)) {
      StockCommand command = message.as(STOCK_COMMAND);
      if (!"restock".equals(command.type()) || command.quantity() <= 0) {
        throw new IllegalArgumentException(
            "expected a restock with a positive quantity, got "
                + command
                + " for "
                + context.self());
      }
      stock = new Stock(stock.available() + command.quantity(), stock.reserved(), stock.sold());
    } else {
      InventoryRequest request = message.as(INVENTORY_REQUEST);
      int q = request.quantity();
      switch (request.op()) {
        case "reserve" -> {
          boolean reserved = stock.available() >= q;
          if (reserved) {
            stock = new Stock(stock.available() - q, stock.reserved() + q, stock.sold());
          }
          Address cart =
              context
                  .caller()
                  .orElseThrow(() -> new IllegalArgumentException("reserve must come from a cart"));
          context.send(
              MessageBuilder.forAddress(cart)
                  .withValue(
                      RESERVATION_RESULT,
                      new ReservationResult(item, q, reserved, stock.available()))
                  .build());
          if (!reserved) {
            return context.done(); // nothing changed
          }
        }
        case "release" ->
            stock = new Stock(stock.available() + q, stock.reserved() - q, stock.sold());
        case "sell" -> stock = new Stock(stock.available(), stock.reserved() - q, stock.sold() + q);
        default ->
            throw new IllegalArgumentException(
                "unknown inventory request " + request + " for " + context.self());
      }
    }
    context.storage().set(STOCK_STATE, stock);
    ShoppingCart.emit(context, CartEvent.stock(stock));
    return context.done();
  }
}
