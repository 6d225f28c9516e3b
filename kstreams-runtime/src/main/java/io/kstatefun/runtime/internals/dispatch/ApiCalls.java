package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.ApiInvocation;
import io.kstatefun.runtime.internals.proto.ApiReply;
import io.kstatefun.runtime.internals.proto.ApiRequest;
import io.kstatefun.runtime.internals.proto.ApiWaiter;
import io.kstatefun.runtime.internals.proto.Envelope;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher's part for the HTTP API: it records each invocation under its id on the task that
 * owns the target (first arrival delivers, a retry gets the recorded answer or waits for it), turns
 * a function's message to a caller address in the reserved namespace into the answer of the call,
 * and answers calls whose batch was dead-lettered. Answers are {@link Action.ApiReply} actions: the
 * shell writes them to the replies topic in the task's transaction, so a waiter sees an answer only
 * once the effects that produced it are committed.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher}.
 */
final class ApiCalls {

  private static final Logger LOG = LoggerFactory.getLogger(ApiCalls.class);

  /**
   * Settings of the HTTP API as the dispatcher applies them.
   *
   * @param retentionMs how long an invocation is remembered after it was accepted or answered
   * @param maxBacklog most queued messages of an address for the API to add one (else 429)
   */
  record Settings(long retentionMs, long maxBacklog) {
    static Settings defaults() {
      return new Settings(86_400_000L, 1000);
    }
  }

  private final ApiInvocationStore store;
  private final Settings settings;
  private final java.util.function.LongSupplier clock;
  private final ToLongFunction<Address> backlog;
  private final DelayedMessages delayed;

  ApiCalls(
      ApiInvocationStore store,
      Settings settings,
      java.util.function.LongSupplier clock,
      ToLongFunction<Address> backlog,
      DelayedMessages delayed) {
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.backlog = backlog;
    this.delayed = delayed;
  }

  /**
   * An envelope from the API, or a message to the reserved namespace, arrived at the task that owns
   * its target. Returns the envelope to deliver to a function now, or {@code null} when there is
   * nothing (more) to deliver.
   */
  Envelope onEnvelope(Envelope envelope, List<Action> out) {
    if (envelope.hasApiRequest()) {
      return onRequest(envelope, envelope.getApiRequest(), out);
    }
    onReply(envelope, out);
    return null;
  }

  private Envelope onRequest(Envelope envelope, ApiRequest request, List<Action> out) {
    String id = request.getInvocationId();
    ApiWaiter waiter = request.hasWaiter() ? request.getWaiter() : null;
    ApiInvocation known = store.get(id);
    switch (request.getKind()) {
      case ATTACH, PEEK -> {
        if (known == null) {
          answer(waiter, id, 404, null, "unknown invocation (never accepted, or expired)", out);
        } else if (known.getStage() == ApiInvocation.Stage.DONE) {
          answer(waiter, id, known, out);
        } else if (request.getKind() == ApiRequest.Kind.PEEK) {
          answer(waiter, id, 202, null, "running", out);
        } else if (waiter != null) {
          store.put(id, known.toBuilder().addWaiters(waiter).build());
        }
        return null;
      }
      default -> {
        // CALL and SEND below
      }
    }
    long now = clock.getAsLong();
    if (request.getKind() == ApiRequest.Kind.SEND && waiter == null) {
      // A send without an idempotency key: nothing to remember, nobody to answer. Delivered like
      // an ingress record (a full mailbox dead-letters it, MAILBOX_FULL).
      return deliverSend(envelope, request, now, out);
    }
    if (known != null) {
      if (!Arrays.equals(known.getBodyHash().toByteArray(), request.getBodyHash().toByteArray())) {
        answer(
            waiter,
            id,
            422,
            null,
            "this Idempotency-Key was used for another request body to "
                + Envelopes.describe(envelope.getTarget()),
            out);
      } else if (known.getStage() == ApiInvocation.Stage.DONE) {
        answer(waiter, id, known, out);
      } else if (waiter != null && !known.getWaitersList().contains(waiter)) {
        store.put(id, known.toBuilder().addWaiters(waiter).build());
      }
      return null;
    }
    Address target = Envelopes.target(envelope);
    long queued = backlog.applyAsLong(target);
    if (queued >= settings.maxBacklog()) {
      answer(
          waiter,
          id,
          429,
          null,
          queued
              + " messages are queued for "
              + target
              + " (kstatefun.api.max.address.backlog "
              + settings.maxBacklog()
              + ")",
          out);
      return null;
    }
    ApiInvocation.Builder record =
        ApiInvocation.newBuilder()
            .setKind(request.getKind())
            .setBodyHash(request.getBodyHash())
            .setTarget(envelope.getTarget())
            .setExpiresAtMs(now + settings.retentionMs());
    Envelope message = envelope.toBuilder().clearApiRequest().build();
    if (request.getKind() == ApiRequest.Kind.SEND) {
      // Accepted once recorded: a retry answers 202 again and delivers nothing.
      record.setStage(ApiInvocation.Stage.DONE).setStatus(202);
      store.put(id, record.build());
      answer(waiter, id, 202, null, "", out);
      return deliverSend(envelope, request, now, out);
    }
    record.setStage(ApiInvocation.Stage.RUNNING);
    if (waiter != null) {
      record.addWaiters(waiter);
    }
    store.put(id, record.build());
    return message;
  }

  /** The message of a send: returned to deliver now, or scheduled for its due time. */
  private Envelope deliverSend(Envelope envelope, ApiRequest request, long now, List<Action> out) {
    Envelope message = envelope.toBuilder().clearApiRequest().clearCaller().build();
    if (request.getDueMs() > now) {
      delayed.schedule(Envelopes.target(envelope), message, "", request.getDueMs(), out);
      return null;
    }
    return message;
  }

  /** A function sent a message to a caller address in the reserved namespace: the reply. */
  private void onReply(Envelope envelope, List<Action> out) {
    String id = ApiAddresses.invocationOf(envelope.getTarget());
    String from = envelope.hasCaller() ? Envelopes.describe(envelope.getCaller()) : "an ingress";
    if (id == null) {
      LOG.warn(
          "Dropping a message from {} to {}: the namespace {} is reserved for the callers of HTTP"
              + " API calls",
          from,
          Envelopes.describe(envelope.getTarget()),
          ApiAddresses.NAMESPACE);
      return;
    }
    ApiInvocation known = store.get(id);
    if (known == null || known.getStage() == ApiInvocation.Stage.DONE) {
      LOG.info(
          "Ignoring a reply from {} to {}: the invocation is {}",
          from,
          Envelopes.describe(envelope.getTarget()),
          known == null ? "unknown or expired" : "already answered (the first reply wins)");
      return;
    }
    complete(id, known, 200, envelope.getArgument(), "", out);
  }

  /**
   * Messages were dead-lettered: the calls among them (caller in the reserved namespace) are
   * answered 502 with the reason.
   */
  void onDeadLetter(Action.DeadLetter dead, List<Action> out) {
    for (Envelope envelope : dead.envelopes()) {
      if (!envelope.hasCaller()) {
        continue;
      }
      String id = ApiAddresses.invocationOf(envelope.getCaller());
      if (id == null) {
        continue;
      }
      ApiInvocation known = store.get(id);
      if (known != null && known.getStage() != ApiInvocation.Stage.DONE) {
        complete(id, known, 502, null, dead.reason() + ": " + dead.detail(), out);
      }
    }
  }

  /** Removes up to {@code max} expired invocations; returns how many. */
  int purgeExpired(int max) {
    List<String> ids = store.expired(clock.getAsLong(), max);
    ids.forEach(store::delete);
    return ids.size();
  }

  private void complete(
      String id,
      ApiInvocation known,
      int status,
      TypedValue reply,
      String error,
      List<Action> out) {
    ApiInvocation.Builder done =
        known.toBuilder()
            .setStage(ApiInvocation.Stage.DONE)
            .setStatus(status)
            .setError(error)
            .clearWaiters()
            .setExpiresAtMs(clock.getAsLong() + settings.retentionMs());
    if (reply != null) {
      done.setReply(reply);
    }
    ApiInvocation stored = done.build();
    store.put(id, stored);
    for (ApiWaiter waiter : known.getWaitersList()) {
      answer(waiter, id, stored, out);
    }
  }

  private static void answer(ApiWaiter waiter, String id, ApiInvocation done, List<Action> out) {
    answer(
        waiter,
        id,
        done.getStatus(),
        done.hasReply() ? done.getReply() : null,
        done.getError(),
        out);
  }

  private static void answer(
      ApiWaiter waiter, String id, int status, TypedValue reply, String error, List<Action> out) {
    if (waiter == null) {
      return;
    }
    ApiReply.Builder b =
        ApiReply.newBuilder()
            .setCallId(waiter.getCallId())
            .setStatus(status)
            .setInvocationId(id)
            .setError(error == null ? "" : error);
    if (reply != null) {
      b.setReply(reply);
    }
    out.add(new Action.ApiReply(waiter.getReplyPartition(), b.build()));
  }
}
