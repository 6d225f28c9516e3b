package io.kstatefun.sdk;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.sdk.internals.BatchHandler;
import java.util.concurrent.CompletableFuture;

/**
 * The transport-free core of the SDK: a serialized {@code ToFunction} request in, a future of the
 * serialized {@code FromFunction} response out. Obtain one from {@link
 * FunctionRegistry#requestReplyHandler()} and bind it to any transport; {@link
 * io.kstatefun.sdk.http.FunctionServer} binds it to HTTP.
 *
 * <p>For each request it:
 *
 * <ol>
 *   <li>answers an empty response to a request without an invocation batch;
 *   <li>replies {@code IncompleteInvocationContext} with the specs of every declared value the
 *       request does not carry, running nothing (the state handshake);
 *   <li>otherwise applies the batch's messages in order, each seeing the state left by the previous
 *       one, and answers one {@code InvocationResult} with one mutation per changed value (in
 *       declaration order) and the messages, delayed messages, cancellations and egress records in
 *       the order they were issued.
 * </ol>
 *
 * <p>The future fails with a {@link RequestReplyException} when the request cannot be answered.
 *
 * <p>Threading: thread safe; requests are independent. The function runs on the calling thread
 * until it returns; asynchronous functions continue on whatever thread completes their future.
 */
public final class RequestReplyHandler {
  private final BatchHandler batches;

  RequestReplyHandler(BatchHandler batches) {
    this.batches = batches;
  }

  /** Handles a serialized {@code ToFunction}; completes with a serialized {@code FromFunction}. */
  public CompletableFuture<byte[]> handle(byte[] request) {
    ToFunction parsed;
    try {
      parsed = ToFunction.parseFrom(request);
    } catch (InvalidProtocolBufferException e) {
      return CompletableFuture.failedFuture(
          new MalformedRequestException(
              "The request ("
                  + request.length
                  + " bytes) is not a serialized ToFunction message: "
                  + e.getMessage(),
              e));
    }
    return handle(parsed).thenApply(FromFunction::toByteArray);
  }

  /** Handles a parsed request. */
  public CompletableFuture<FromFunction> handle(ToFunction request) {
    return batches.handle(request);
  }
}
