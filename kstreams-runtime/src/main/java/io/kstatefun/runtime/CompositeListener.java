package io.kstatefun.runtime;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.runtime.internals.http.FunctionCallException;

/** Forwards every event to two listeners (the runtime's metrics and a user's listener). */
final class CompositeListener implements RuntimeListener {

  private final RuntimeListener first;
  private final RuntimeListener second;

  CompositeListener(RuntimeListener first, RuntimeListener second) {
    this.first = first;
    this.second = second;
  }

  @Override
  public void batchSent(FunctionType type, int size, boolean retry) {
    first.batchSent(type, size, retry);
    second.batchSent(type, size, retry);
  }

  @Override
  public void backlog(FunctionType type, long pending) {
    first.backlog(type, pending);
    second.backlog(type, pending);
  }

  @Override
  public void messageRouted(FunctionType target, boolean local) {
    first.messageRouted(target, local);
    second.messageRouted(target, local);
  }

  @Override
  public void messageDeliveredSameThread(FunctionType target) {
    first.messageDeliveredSameThread(target);
    second.messageDeliveredSameThread(target);
  }

  @Override
  public void egressEmitted(String egressId) {
    first.egressEmitted(egressId);
    second.egressEmitted(egressId);
  }

  @Override
  public void deadLettered(FunctionType type, DeadLetterReason reason, int count) {
    first.deadLettered(type, reason, count);
    second.deadLettered(type, reason, count);
  }

  @Override
  public void timerFired(long lateMs) {
    first.timerFired(lateMs);
    second.timerFired(lateMs);
  }

  @Override
  public void attempt(FunctionType type, long nanos, boolean ok) {
    first.attempt(type, nanos, ok);
    second.attempt(type, nanos, ok);
  }

  @Override
  public void retry(FunctionType type, FunctionCallException.Kind kind) {
    first.retry(type, kind);
    second.retry(type, kind);
  }

  @Override
  public void ingressRejected(String topic, String reason, KafkaIngressSpec.OnError policy) {
    first.ingressRejected(topic, reason, policy);
    second.ingressRejected(topic, reason, policy);
  }

  @Override
  public void deadLetteredRecord(String sourceTopic, String reason) {
    first.deadLetteredRecord(sourceTopic, reason);
    second.deadLetteredRecord(sourceTopic, reason);
  }
}
