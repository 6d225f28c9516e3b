package io.kstatefun.runtime;

import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.http.HttpFunctionClient;

/**
 * Everything the runtime reports for metrics: dispatcher events, HTTP attempts and ingress
 * rejections. All methods default to no-ops.
 */
public interface RuntimeListener extends Dispatcher.Listener, HttpFunctionClient.Listener {

  /** An ingress record could not be routed; {@code policy} says what was done with it. */
  default void ingressRejected(String topic, String reason, KafkaIngressSpec.OnError policy) {}

  /**
   * A raw record was written to a dead-letter topic: an ingress or loopback record ({@code
   * sourceTopic} is its topic), or a store record that could not be read ({@code sourceTopic} is
   * the store's name).
   */
  default void deadLetteredRecord(String sourceTopic, String reason) {}

  /** A listener that tells {@code this} and then {@code other} of every event. */
  default RuntimeListener andThen(RuntimeListener other) {
    return new CompositeListener(this, other);
  }

  /** A listener that ignores everything. */
  RuntimeListener NONE = new RuntimeListener() {};
}
