package io.kstatefun.examples.dev;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a dev demo run did.
 *
 * @param startupSeconds from the reference start (the JVM's start for {@code bin/kstatefun dev})
 *     until the runtime was running
 * @param firstResultSeconds from the reference start until the first egress record was shown
 * @param ran how long the demo ran after start-up
 * @param eventsSent sample events sent to the ingress topics
 * @param resultsByTopic egress records shown, per egress topic, in the order of the examples
 * @param deadLetters records seen on the dead-letter topic
 * @param functionCalls requests the runtime sent to the function server (batches, first attempts)
 */
public record DevSummary(
    double startupSeconds,
    OptionalDouble firstResultSeconds,
    Duration ran,
    long eventsSent,
    Map<String, Long> resultsByTopic,
    long deadLetters,
    long functionCalls) {

  public DevSummary {
    resultsByTopic = Collections.unmodifiableMap(new LinkedHashMap<>(resultsByTopic));
  }

  /** All egress records shown. */
  public long results() {
    return resultsByTopic.values().stream().mapToLong(Long::longValue).sum();
  }
}
