package io.kstatefun.examples.billing;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;

/** The messages and state of the billing application, all JSON. */
public final class BillingMessages {

  private BillingMessages() {}

  /** Namespace of the billing functions and types. */
  public static final String NAMESPACE = "billing";

  /**
   * A customer's command from the ingress topic {@code subscriptions}, keyed by customer id: {@code
   * {"type":"subscribe","plan":"pro","priceCents":1500,"card":"4242424242424242"}} or {@code
   * {"type":"unsubscribe"}}. Subscribing while subscribed changes plan, price and card.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Command(String type, String plan, Long priceCents, String card) {
    /** A subscribe command. */
    public static Command subscribe(String plan, long priceCents, String card) {
      return new Command("subscribe", plan, priceCents, card);
    }

    /** An unsubscribe command. */
    public static Command unsubscribe() {
      return new Command("unsubscribe", null, null, null);
    }
  }

  /** The subscription's reminder to itself that invoice {@code invoice} is due. */
  public record Reminder(int invoice) {}

  /** Subscription to payment: charge {@code amountCents} to {@code card} for an invoice. */
  public record Charge(int invoice, long amountCents, String card) {}

  /** Payment to subscription: the outcome of a {@link Charge}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PaymentResult(int invoice, long amountCents, boolean paid, String declineReason) {}

  /**
   * What the subscription function remembers: plan, price and card, its status ({@code active},
   * {@code suspended}, {@code cancelled}), the last invoice issued, consecutive declined payments,
   * and the cancellation token of the pending reminder.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SubscriptionState(
      String plan,
      long priceCents,
      String card,
      String status,
      int lastInvoice,
      int declinesInARow,
      String reminderToken) {

    boolean active() {
      return "active".equals(status);
    }
  }

  /** What the payment function remembers per customer. */
  public record Ledger(int payments, long paidCents, int declines) {
    static final Ledger EMPTY = new Ledger(0, 0, 0);
  }

  /**
   * A record of the egress topic {@code billing-events}, keyed by customer id. {@code event} is one
   * of {@code subscribed}, {@code updated}, {@code paid}, {@code declined}, {@code suspended},
   * {@code unsubscribed}, {@code ignored-reminder}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BillingEvent(
      String event, String plan, Integer invoice, Long amountCents, String reason) {}

  /** Ingress type of {@link Command}: the {@code valueType} in module.yaml. */
  public static final Type<Command> COMMAND = json("command", Command.class);

  static final Type<Reminder> REMINDER = json("reminder", Reminder.class);
  static final Type<Charge> CHARGE = json("charge", Charge.class);
  static final Type<PaymentResult> PAYMENT_RESULT = json("payment-result", PaymentResult.class);
  static final Type<SubscriptionState> SUBSCRIPTION_STATE =
      json("subscription-state", SubscriptionState.class);
  static final Type<Ledger> LEDGER = json("ledger", Ledger.class);

  /** Egress type of {@link BillingEvent}. */
  public static final Type<BillingEvent> BILLING_EVENT = json("event", BillingEvent.class);

  private static <T> Type<T> json(String name, Class<T> type) {
    return Types.jsonType(TypeName.of(NAMESPACE, name), type);
  }
}
