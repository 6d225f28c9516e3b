package io.kstatefun.sdk.conformance;

/**
 * The names shared by the two implementations of the conformance functions ({@link
 * OurConformanceFunctions} with this SDK, {@link OfficialConformanceFunctions} with the official
 * StateFun Java SDK 3.3.0). Both must behave identically:
 *
 * <h2>{@code conformance/counter}</h2>
 *
 * States: {@code count} (int, expires 1 day after write), {@code note} (string, expires 10 minutes
 * after call). Messages:
 *
 * <ul>
 *   <li>an int {@code n}: {@code count += n} (absent counts as 0);
 *   <li>{@code "reset"}: remove {@code count};
 *   <li>{@code "peek"}: send the current count (int, 0 if absent) to the caller, or to {@code
 *       conformance/observer/<id>} for an ingress message;
 *   <li>{@code "note:<text>"}: set {@code note}; {@code "forget"}: remove {@code note};
 *   <li>{@code "add-later:<n>"}: asynchronously, on another thread, {@code count += n};
 *   <li>anything else: throw.
 * </ul>
 *
 * <h2>{@code conformance/messenger}</h2>
 *
 * No state. A string message is a comma-separated list of commands, run in order:
 *
 * <ul>
 *   <li>{@code send}: int 1 to {@code conformance/counter/<id>};
 *   <li>{@code reply}: string "ack" to the caller, or to {@code conformance/observer/<id>};
 *   <li>{@code delay}: int 2 to {@code conformance/counter/<id>} after 1500 ms;
 *   <li>{@code delay-token:<t>}: string "wake-up" to itself after 60 s, cancellable with t;
 *   <li>{@code cancel:<t>}: cancel t;
 *   <li>{@code egress}: string "hello <id>" to egress {@code conformance/out};
 *   <li>{@code kafka}: Kafka record to egress {@code conformance/kafka}, topic greetings, key
 *       {@code <id>}, UTF-8 value "hi <id>"; {@code kafka-nokey}: same without key, value
 *       "anonymous";
 *   <li>{@code async}: on another thread, after 20 ms, int 3 to {@code conformance/counter/<id>};
 *       the following commands run after it.
 * </ul>
 *
 * <h2>{@code conformance/thrower}</h2>
 *
 * No state. {@code "ok"}: nothing; {@code "throw"}: throws; {@code "fail-async"}: fails its future
 * from another thread; {@code "null-future"}: returns null.
 */
final class ConformanceFunctions {
  static final String NAMESPACE = "conformance";
  static final String COUNTER = "counter";
  static final String MESSENGER = "messenger";
  static final String THROWER = "thrower";
  static final String OBSERVER = "observer";
  static final String EGRESS = "out";
  static final String KAFKA_EGRESS = "kafka";
  static final String KAFKA_TOPIC = "greetings";

  private ConformanceFunctions() {}
}
