package io.kstatefun.examples.billing;

import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.http.FunctionServer;
import java.time.Duration;

/**
 * The billing application: {@link Subscription} and {@link Payment}, served together.
 *
 * <pre>
 *   subscriptions (Kafka) ──> billing/subscription ──charge──> billing/payment
 *                                 │   ▲  ▲                          │
 *                                 │   │  └──────── result ──────────┘
 *                                 │   └─ reminder (sendAfter, every billing period, cancellable)
 *                                 └──> billing-events (Kafka)
 * </pre>
 */
public final class Billing {

  /** The ingress topic of customer commands. */
  public static final String COMMANDS_TOPIC = "subscriptions";

  /** The egress topic of billing events. */
  public static final String EVENTS_TOPIC = "billing-events";

  /** The egress the events go to (declared in module.yaml). */
  public static final TypeName EVENTS_EGRESS = TypeName.of(BillingMessages.NAMESPACE, "events");

  /** The billing period of {@link #main}: short, so that something happens in a demo. */
  public static final Duration DEMO_BILLING_PERIOD = Duration.ofSeconds(10);

  private Billing() {}

  /** Both billing functions, billing every {@code billingPeriod}. */
  public static FunctionRegistry registry(Duration billingPeriod) {
    return FunctionRegistry.builder()
        .withFunction(Subscription.spec(billingPeriod))
        .withFunction(Payment.SPEC)
        .build();
  }

  /** Serves the billing functions over HTTP on {@code port} (0 = a free one); close it to stop. */
  public static FunctionServer serve(int port, Duration billingPeriod) {
    return new FunctionServer(registry(billingPeriod)).listen(port);
  }

  /** Serves the billing functions over HTTP: {@code Billing [port [periodSeconds]]} (8000, 10). */
  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8000;
    Duration period =
        args.length > 1 ? Duration.ofSeconds(Long.parseLong(args[1])) : DEMO_BILLING_PERIOD;
    FunctionServer server = serve(port, period);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "billing-shutdown"));
    System.out.println(
        "billing functions listening on port "
            + server.port()
            + ", billing every "
            + period.toSeconds()
            + " s");
  }
}
