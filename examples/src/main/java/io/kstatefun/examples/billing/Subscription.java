package io.kstatefun.examples.billing;

import static io.kstatefun.examples.billing.BillingMessages.BILLING_EVENT;
import static io.kstatefun.examples.billing.BillingMessages.CHARGE;
import static io.kstatefun.examples.billing.BillingMessages.COMMAND;
import static io.kstatefun.examples.billing.BillingMessages.PAYMENT_RESULT;
import static io.kstatefun.examples.billing.BillingMessages.REMINDER;
import static io.kstatefun.examples.billing.BillingMessages.SUBSCRIPTION_STATE;

import io.kstatefun.examples.billing.BillingMessages.BillingEvent;
import io.kstatefun.examples.billing.BillingMessages.Charge;
import io.kstatefun.examples.billing.BillingMessages.Command;
import io.kstatefun.examples.billing.BillingMessages.PaymentResult;
import io.kstatefun.examples.billing.BillingMessages.Reminder;
import io.kstatefun.examples.billing.BillingMessages.SubscriptionState;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One customer's subscription ({@code billing/subscription}, id = customer id).
 *
 * <ul>
 *   <li>{@code subscribe}: becomes active, charges the first invoice at once through {@link
 *       Payment} and schedules a reminder to itself for the next one, one billing period later,
 *       with a cancellation token.
 *   <li>reminder for invoice n: charges invoice n and schedules the reminder for n + 1.
 *   <li>payment result: reports {@code paid} or {@code declined} to the egress; after {@value
 *       #MAX_DECLINES_IN_A_ROW} declines in a row the subscription is {@code suspended} and its
 *       pending reminder cancelled.
 *   <li>{@code unsubscribe}: cancels the pending reminder; no invoice follows.
 * </ul>
 *
 * A reminder that arrives while the subscription is not active (which cancellation prevents) is
 * reported as {@code ignored-reminder}.
 */
public final class Subscription implements StatefulFunction {

  /** The function type. */
  public static final TypeName TYPE = TypeName.of(BillingMessages.NAMESPACE, "subscription");

  /** Declined payments in a row after which the subscription is suspended. */
  public static final int MAX_DECLINES_IN_A_ROW = 2;

  static final ValueSpec<SubscriptionState> STATE =
      ValueSpec.named("subscription").withType(SUBSCRIPTION_STATE);

  private final Duration billingPeriod;

  Subscription(Duration billingPeriod) {
    this.billingPeriod = Objects.requireNonNull(billingPeriod, "billingPeriod");
  }

  /** The declaration, billing every {@code billingPeriod}. */
  public static StatefulFunctionSpec spec(Duration billingPeriod) {
    if (billingPeriod.isNegative() || billingPeriod.isZero()) {
      throw new IllegalArgumentException(
          "the billing period must be positive, got " + billingPeriod);
    }
    return StatefulFunctionSpec.builder(TYPE)
        .withValueSpecs(STATE)
        .withSupplier(() -> new Subscription(billingPeriod))
        .build();
  }

  @Override
  public CompletableFuture<Void> apply(Context context, Message message) {
    Optional<SubscriptionState> state = context.storage().get(STATE);
    if (message.is(COMMAND)) {
      Command command = message.as(COMMAND);
      switch (command.type()) {
        case "subscribe" -> subscribe(context, state, command);
        case "unsubscribe" -> unsubscribe(context, state);
        default ->
            throw new IllegalArgumentException(
                "unknown command type '" + command.type() + "' for " + context.self());
      }
    } else if (message.is(REMINDER)) {
      remind(context, state, message.as(REMINDER));
    } else if (message.is(PAYMENT_RESULT)) {
      paymentResult(context, state.orElseThrow(), message.as(PAYMENT_RESULT));
    } else {
      throw new IllegalArgumentException(
          "unexpected message of type " + message.valueTypeNameString() + " for " + context.self());
    }
    return context.done();
  }

  private void subscribe(Context context, Optional<SubscriptionState> current, Command command) {
    Objects.requireNonNull(command.plan(), "plan");
    Objects.requireNonNull(command.priceCents(), "priceCents");
    Objects.requireNonNull(command.card(), "card");
    if (current.isPresent() && current.get().active()) {
      SubscriptionState s = current.get();
      context
          .storage()
          .set(
              STATE,
              new SubscriptionState(
                  command.plan(),
                  command.priceCents(),
                  command.card(),
                  "active",
                  s.lastInvoice(),
                  s.declinesInARow(),
                  s.reminderToken()));
      emit(context, new BillingEvent("updated", command.plan(), null, command.priceCents(), null));
      return;
    }
    int invoice = current.map(SubscriptionState::lastInvoice).orElse(0) + 1;
    emit(context, new BillingEvent("subscribed", command.plan(), null, command.priceCents(), null));
    charge(context, invoice, command.priceCents(), command.card());
    String token = scheduleReminder(context, invoice + 1);
    context
        .storage()
        .set(
            STATE,
            new SubscriptionState(
                command.plan(), command.priceCents(), command.card(), "active", invoice, 0, token));
  }

  private void unsubscribe(Context context, Optional<SubscriptionState> current) {
    if (current.isEmpty() || !current.get().active()) {
      return;
    }
    SubscriptionState s = current.get();
    context.cancelDelayedMessage(s.reminderToken());
    context
        .storage()
        .set(
            STATE,
            new SubscriptionState(
                s.plan(),
                s.priceCents(),
                s.card(),
                "cancelled",
                s.lastInvoice(),
                s.declinesInARow(),
                null));
    emit(context, new BillingEvent("unsubscribed", s.plan(), null, null, null));
  }

  private void remind(Context context, Optional<SubscriptionState> current, Reminder reminder) {
    if (current.isEmpty()
        || !current.get().active()
        || reminder.invoice() != current.get().lastInvoice() + 1) {
      emit(
          context,
          new BillingEvent(
              "ignored-reminder",
              null,
              reminder.invoice(),
              null,
              current.map(SubscriptionState::status).orElse("none")));
      return;
    }
    SubscriptionState s = current.get();
    charge(context, reminder.invoice(), s.priceCents(), s.card());
    String token = scheduleReminder(context, reminder.invoice() + 1);
    context
        .storage()
        .set(
            STATE,
            new SubscriptionState(
                s.plan(),
                s.priceCents(),
                s.card(),
                "active",
                reminder.invoice(),
                s.declinesInARow(),
                token));
  }

  private void paymentResult(Context context, SubscriptionState s, PaymentResult result) {
    if (result.paid()) {
      emit(
          context,
          new BillingEvent("paid", s.plan(), result.invoice(), result.amountCents(), null));
      context
          .storage()
          .set(
              STATE,
              new SubscriptionState(
                  s.plan(),
                  s.priceCents(),
                  s.card(),
                  s.status(),
                  s.lastInvoice(),
                  0,
                  s.reminderToken()));
      return;
    }
    emit(
        context,
        new BillingEvent(
            "declined", s.plan(), result.invoice(), result.amountCents(), result.declineReason()));
    int declines = s.declinesInARow() + 1;
    if (s.active() && declines >= MAX_DECLINES_IN_A_ROW) {
      context.cancelDelayedMessage(s.reminderToken());
      context
          .storage()
          .set(
              STATE,
              new SubscriptionState(
                  s.plan(),
                  s.priceCents(),
                  s.card(),
                  "suspended",
                  s.lastInvoice(),
                  declines,
                  null));
      emit(
          context,
          new BillingEvent(
              "suspended", s.plan(), null, null, declines + " declined payments in a row"));
    } else {
      context
          .storage()
          .set(
              STATE,
              new SubscriptionState(
                  s.plan(),
                  s.priceCents(),
                  s.card(),
                  s.status(),
                  s.lastInvoice(),
                  declines,
                  s.reminderToken()));
    }
  }

  private static void charge(Context context, int invoice, long amountCents, String card) {
    context.send(
        MessageBuilder.forAddress(Payment.TYPE, context.self().id())
            .withValue(CHARGE, new Charge(invoice, amountCents, card))
            .build());
  }

  /** Schedules the reminder for {@code invoice}; returns its cancellation token. */
  private String scheduleReminder(Context context, int invoice) {
    // Tokens are scoped to the sender (this address), so the invoice number makes them unique.
    String token = "invoice-" + invoice;
    context.sendAfter(
        billingPeriod,
        token,
        MessageBuilder.forAddress(context.self())
            .withValue(REMINDER, new Reminder(invoice))
            .build());
    return token;
  }

  private static void emit(Context context, BillingEvent event) {
    context.send(
        KafkaEgressMessage.forEgress(Billing.EVENTS_EGRESS)
            .withTopic(Billing.EVENTS_TOPIC)
            .withUtf8Key(context.self().id())
            .withValue(BILLING_EVENT, event)
            .build());
  }
}
