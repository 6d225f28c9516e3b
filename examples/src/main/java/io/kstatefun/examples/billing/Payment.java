package io.kstatefun.examples.billing;

import static io.kstatefun.examples.billing.BillingMessages.CHARGE;
import static io.kstatefun.examples.billing.BillingMessages.LEDGER;
import static io.kstatefun.examples.billing.BillingMessages.PAYMENT_RESULT;

import io.kstatefun.examples.billing.BillingMessages.Charge;
import io.kstatefun.examples.billing.BillingMessages.Ledger;
import io.kstatefun.examples.billing.BillingMessages.PaymentResult;
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
 * Processes a customer's payments ({@code billing/payment}, id = customer id) against a simulated
 * card processor, keeps a ledger (payments, amount paid, declines) and replies to the caller with
 * the result.
 *
 * <p>The processor declines the card {@value #DECLINED_CARD} (the well-known "always declined" test
 * card number) and any single charge over {@value #LIMIT_CENTS} cents.
 */
public final class Payment implements StatefulFunction {

  /** The function type. */
  public static final TypeName TYPE = TypeName.of(BillingMessages.NAMESPACE, "payment");

  /** A card number every charge to which is declined. */
  public static final String DECLINED_CARD = "4000000000000002";

  /** The largest amount a single charge may have. */
  public static final long LIMIT_CENTS = 100_000;

  static final ValueSpec<Ledger> LEDGER_STATE = ValueSpec.named("ledger").withType(LEDGER);

  /** The declaration. */
  public static final StatefulFunctionSpec SPEC =
      StatefulFunctionSpec.builder(TYPE)
          .withValueSpecs(LEDGER_STATE)
          .withSupplier(Payment::new)
          .build();

  @Override
  public CompletableFuture<Void> apply(Context context, Message message) {
    Charge charge = message.as(CHARGE);
    Address caller =
        context
            .caller()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "a charge must come from a function: " + context.self()));
    Ledger ledger = context.storage().get(LEDGER_STATE).orElse(Ledger.EMPTY);
    String declineReason = declineReason(charge);
    PaymentResult result;
    if (declineReason == null) {
      ledger =
          new Ledger(
              ledger.payments() + 1, ledger.paidCents() + charge.amountCents(), ledger.declines());
      result = new PaymentResult(charge.invoice(), charge.amountCents(), true, null);
    } else {
      ledger = new Ledger(ledger.payments(), ledger.paidCents(), ledger.declines() + 1);
      result = new PaymentResult(charge.invoice(), charge.amountCents(), false, declineReason);
    }
    context.storage().set(LEDGER_STATE, ledger);
    context.send(MessageBuilder.forAddress(caller).withValue(PAYMENT_RESULT, result).build());
    return context.done();
  }

  private static String declineReason(Charge charge) {
    if (DECLINED_CARD.equals(charge.card())) {
      return "card declined";
    }
    if (charge.amountCents() > LIMIT_CENTS) {
      return "amount over limit";
    }
    return null;
  }
}
