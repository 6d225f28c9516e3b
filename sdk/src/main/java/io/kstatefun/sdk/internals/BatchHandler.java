package io.kstatefun.sdk.internals;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.FromFunction.ExpirationSpec;
import io.kstatefun.protocol.FromFunction.PersistedValueSpec;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.ToFunction.InvocationBatchRequest;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.Expiration;
import io.kstatefun.sdk.FunctionInvocationException;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.MalformedRequestException;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.UnknownFunctionTypeException;
import io.kstatefun.sdk.ValueSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Answers one {@code ToFunction} request: decides between "empty response", "missing state specs"
 * and "run the batch", then runs the batch's invocations strictly one after the other.
 *
 * <p>Threading: stateless and thread safe; each request gets its own {@link BatchContext}, {@link
 * AddressStorage} and function instance.
 */
public final class BatchHandler {
  private final FunctionRegistry registry;

  /** A handler for the functions of {@code registry}. */
  public BatchHandler(FunctionRegistry registry) {
    this.registry = registry;
  }

  /** Answers {@code request}; the future fails with a {@code RequestReplyException}. */
  public CompletableFuture<FromFunction> handle(ToFunction request) {
    try {
      return handleOrThrow(request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<FromFunction> handleOrThrow(ToFunction request) {
    if (!request.hasInvocation()) {
      return CompletableFuture.completedFuture(FromFunction.getDefaultInstance());
    }
    InvocationBatchRequest batch = request.getInvocation();
    Address self = target(batch);
    StatefulFunctionSpec spec =
        registry
            .spec(self.type())
            .orElseThrow(() -> new UnknownFunctionTypeException(self, registry.functionTypes()));
    List<Message> arguments = new ArrayList<>(batch.getInvocationsCount());
    List<Address> callers = new ArrayList<>(batch.getInvocationsCount());
    parseInvocations(self, batch, arguments, callers);

    Map<String, TypedValue> provided = new HashMap<>();
    for (ToFunction.PersistedValue value : batch.getStateList()) {
      provided.putIfAbsent(value.getStateName(), value.getStateValue());
    }
    List<PersistedValueSpec> missing = new ArrayList<>();
    for (ValueSpec<?> valueSpec : spec.valueSpecs()) {
      if (!provided.containsKey(valueSpec.name())) {
        missing.add(toProtocol(valueSpec));
      }
    }
    if (!missing.isEmpty()) {
      return CompletableFuture.completedFuture(
          FromFunction.newBuilder()
              .setIncompleteInvocationContext(
                  FromFunction.IncompleteInvocationContext.newBuilder()
                      .addAllMissingValues(missing))
              .build());
    }

    String owner = "function " + self.type() + " at address " + self;
    AddressStorage storage = AddressStorage.declared(owner, spec.valueSpecs(), provided);
    BatchContext context = new BatchContext(self, storage);
    StatefulFunction function = newInstance(spec, self);
    return new BatchRun(self, function, context, arguments, callers)
        .run()
        .thenApply(done -> FromFunction.newBuilder().setInvocationResult(context.finish()).build());
  }

  private static Address target(InvocationBatchRequest batch) {
    Address self;
    try {
      self = batch.hasTarget() ? ProtocolAddresses.fromProtocol(batch.getTarget()) : null;
    } catch (IllegalArgumentException e) {
      throw new MalformedRequestException(
          "The batch target "
              + shortString(batch.getTarget())
              + " is not a valid address: "
              + e.getMessage(),
          e);
    }
    if (self == null) {
      throw new MalformedRequestException("The invocation batch has no target address", null);
    }
    return self;
  }

  private static void parseInvocations(
      Address self, InvocationBatchRequest batch, List<Message> arguments, List<Address> callers) {
    int count = batch.getInvocationsCount();
    for (int i = 0; i < count; i++) {
      ToFunction.Invocation invocation = batch.getInvocations(i);
      String where = "invocation " + (i + 1) + " of " + count + " to " + self;
      if (!invocation.hasArgument() || !invocation.getArgument().getHasValue()) {
        throw new MalformedRequestException("The " + where + " has no argument value", null);
      }
      try {
        callers.add(
            invocation.hasCaller() ? ProtocolAddresses.fromProtocol(invocation.getCaller()) : null);
      } catch (IllegalArgumentException e) {
        throw new MalformedRequestException(
            "The caller "
                + shortString(invocation.getCaller())
                + " of the "
                + where
                + " is not a valid address: "
                + e.getMessage(),
            e);
      }
      arguments.add(Message.of(self, invocation.getArgument()));
    }
  }

  private static StatefulFunction newInstance(StatefulFunctionSpec spec, Address self) {
    StatefulFunction function;
    try {
      function = spec.supplier().get();
    } catch (RuntimeException e) {
      throw new FunctionInvocationException(
          self,
          "The supplier of function "
              + spec.typeName()
              + " failed (request for "
              + self
              + "): "
              + e,
          e);
    }
    if (function == null) {
      throw new FunctionInvocationException(
          self,
          "The supplier of function "
              + spec.typeName()
              + " returned null (request for "
              + self
              + ")",
          null);
    }
    return function;
  }

  private static PersistedValueSpec toProtocol(ValueSpec<?> spec) {
    PersistedValueSpec.Builder builder =
        PersistedValueSpec.newBuilder()
            .setStateName(spec.name())
            .setTypeTypename(spec.typeName().asString());
    Expiration expiration = spec.expiration();
    if (expiration.mode() != Expiration.Mode.NONE) {
      builder.setExpirationSpec(
          ExpirationSpec.newBuilder()
              .setMode(
                  expiration.mode() == Expiration.Mode.AFTER_WRITE
                      ? ExpirationSpec.ExpireMode.AFTER_WRITE
                      : ExpirationSpec.ExpireMode.AFTER_INVOKE)
              .setExpireAfterMillis(expiration.duration().toMillis()));
    }
    return builder.build();
  }

  private static String shortString(io.kstatefun.protocol.Address address) {
    return "'" + address.getNamespace() + "/" + address.getType() + "/" + address.getId() + "'";
  }

  /**
   * Runs the invocations of one batch in order. Synchronously completed invocations are handled in
   * a loop; an asynchronous one resumes the loop from its completion.
   */
  private static final class BatchRun {
    private final Address self;
    private final StatefulFunction function;
    private final BatchContext context;
    private final List<Message> arguments;
    private final List<Address> callers;
    private final CompletableFuture<Void> result = new CompletableFuture<>();

    BatchRun(
        Address self,
        StatefulFunction function,
        BatchContext context,
        List<Message> arguments,
        List<Address> callers) {
      this.self = self;
      this.function = function;
      this.context = context;
      this.arguments = arguments;
      this.callers = callers;
    }

    CompletableFuture<Void> run() {
      continueFrom(0);
      return result;
    }

    private void continueFrom(int first) {
      for (int i = first; i < arguments.size(); i++) {
        final int index = i;
        CompletableFuture<Void> invocation;
        try {
          context.setCaller(callers.get(i));
          invocation = function.apply(context, arguments.get(i));
        } catch (Throwable t) {
          fail(index, "threw", t);
          return;
        }
        if (invocation == null) {
          fail(index, "returned a null future", null);
          return;
        }
        if (!invocation.isDone()) {
          invocation.whenComplete(
              (ignored, error) -> {
                if (error != null) {
                  fail(index, "failed", error);
                } else {
                  continueFrom(index + 1);
                }
              });
          return;
        }
        try {
          invocation.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
          fail(index, "failed", e);
          return;
        }
      }
      result.complete(null);
    }

    private void fail(int index, String what, Throwable error) {
      context.abandon();
      Throwable cause = unwrap(error);
      Address caller = callers.get(index);
      String message =
          "Function "
              + self.type()
              + " "
              + what
              + " at address "
              + self
              + " on invocation "
              + (index + 1)
              + " of "
              + arguments.size()
              + " (caller "
              + (caller == null ? "none (ingress)" : caller.toString())
              + ", argument type "
              + arguments.get(index).valueTypeNameString()
              + ")"
              + (cause == null ? "" : ": " + cause);
      result.completeExceptionally(new FunctionInvocationException(self, message, cause));
    }

    private static Throwable unwrap(Throwable error) {
      Throwable t = error;
      while ((t instanceof CompletionException || t instanceof ExecutionException)
          && t.getCause() != null) {
        t = t.getCause();
      }
      return t;
    }
  }
}
