package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.http.FunctionClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A {@link FunctionClient} whose calls the test answers. Every call is recorded; {@link Call#reply}
 * and {@link Call#fail} complete the call's future on the fake's own client thread (as Vert.x does
 * with a real HTTP answer) and return once the callbacks that the caller attached have run there.
 *
 * <p>Threading: {@link #call} is invoked by the stream thread (the test thread under {@code
 * TopologyTestDriver}); answers complete on the thread named {@link #THREAD_NAME}.
 */
final class ScriptedFunctionClient implements FunctionClient {

  static final String THREAD_NAME = "scripted-function-client";

  /** One call: where it went, what it carried, and how to answer it. */
  final class Call {
    final Address target;
    final ToFunction request;
    private final CompletableFuture<Reply> future = new CompletableFuture<>();

    private Call(Address target, ToFunction request) {
      this.target = target;
      this.request = request;
    }

    /** The payloads (UTF-8) of the batch's invocations, in order. */
    List<String> payloads() {
      List<String> out = new ArrayList<>();
      for (ToFunction.Invocation i : request.getInvocation().getInvocationsList()) {
        out.add(i.getArgument().getValue().toStringUtf8());
      }
      return out;
    }

    /** Answers with {@code response} (one attempt), on the client thread. */
    void reply(FromFunction response) {
      onClientThread(() -> future.complete(new Reply(response, 1)));
    }

    /** Fails the call with {@code error}, on the client thread. */
    void fail(Throwable error) {
      onClientThread(() -> future.completeExceptionally(error));
    }
  }

  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private final ExecutorService clientThread =
      Executors.newSingleThreadExecutor(r -> new Thread(r, THREAD_NAME));

  @Override
  public CompletableFuture<Reply> call(Address target, ToFunction request) {
    Call call = new Call(target, request);
    calls.add(call);
    return call.future;
  }

  /** The oldest call not taken yet; fails the test when there is none. */
  Call next() {
    Call call = calls.poll();
    assertThat(call).as("a function call was made").isNotNull();
    return call;
  }

  /** The calls not taken yet, oldest first; takes them. */
  List<Call> takeAll() {
    List<Call> out = new ArrayList<>();
    Call call;
    while ((call = calls.poll()) != null) {
      out.add(call);
    }
    return out;
  }

  private void onClientThread(Runnable completion) {
    try {
      clientThread.submit(completion).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("completing a scripted call failed", e);
    }
  }

  @Override
  public void close() {
    clientThread.shutdownNow();
  }
}
