package io.kstatefun.chaos.functions;

import io.kstatefun.chaos.workload.ChaosMessage;
import io.kstatefun.chaos.workload.FnAddress;
import io.kstatefun.chaos.workload.Json;
import io.kstatefun.sdk.Address;
import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The function server of {@code chaos/ours}, written with kstatefun's SDK and served by its Vert.x
 * {@link FunctionServer}. Faults ({@link FaultSwitch}) are injected inside the function, once per
 * batch (the SDK makes a new function instance per batch): a failure throws, which the SDK answers
 * with HTTP 500; a stall completes the first invocation's future late.
 *
 * <p>Main class of its own process: {@code --events-topic T --egress-topic T [--port N]}.
 */
public final class KstatefunSdkFunctionServer {

  static final TypeName TYPE = TypeName.of(ChaosMessage.NAMESPACE, FnAddress.Kind.OURS.typeName());
  static final TypeName EGRESS = TypeName.of(ChaosLogic.EGRESS_NAMESPACE, ChaosLogic.EGRESS_NAME);
  static final Type<byte[]> CMD =
      Types.simpleType(TypeName.parse(ChaosMessage.TYPENAME), b -> b, b -> b);
  static final Type<byte[]> SEQS =
      Types.simpleType(TypeName.parse(ChaosLogic.SEQS_TYPENAME), b -> b, b -> b);
  static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();
  static final ValueSpec<byte[]> SEQ_STATE = ValueSpec.named("seqs").withType(SEQS);

  private KstatefunSdkFunctionServer() {}

  public static void main(String[] args) {
    ServerArgs options = ServerArgs.parse(args);
    ChaosLogic logic = new ChaosLogic(options.eventsTopic(), options.egressTopic());
    FaultSwitch faults = new FaultSwitch();
    FunctionRegistry registry =
        FunctionRegistry.of(
            StatefulFunctionSpec.builder(TYPE)
                .withValueSpecs(COUNT, SEQ_STATE)
                .withSupplier(() -> new Fn(logic, faults))
                .build());
    FunctionServer server =
        new FunctionServer(
                registry,
                FunctionServerOptions.defaults().withHost("127.0.0.1").withWorkerThreads(8))
            .listen(options.port());
    faults.listen(System.in, System.out);
    System.out.println(ServerArgs.READY_PREFIX + server.port());
    System.out.flush();
  }

  /** The chaos function over kstatefun's SDK context; one instance per batch. */
  private static final class Fn implements StatefulFunction {
    private final ChaosLogic logic;
    private final FaultSwitch faults;
    private boolean first = true;

    Fn(ChaosLogic logic, FaultSwitch faults) {
      this.logic = logic;
      this.faults = faults;
    }

    @Override
    public CompletableFuture<Void> apply(Context context, Message message) {
      long stall = 0;
      if (first) {
        first = false;
        if (faults.takeFailure()) {
          throw new IllegalStateException("injected failure");
        }
        stall = faults.stallMs();
      }
      FnAddress self = new FnAddress(FnAddress.Kind.OURS, context.self().id());
      ChaosMessage m = Json.message(message.as(CMD));
      ChaosLogic.State state =
          new ChaosLogic.State(
              context.storage().get(COUNT).orElse(0),
              context.storage().get(SEQ_STATE).map(ChaosLogic::decodeSeqs).orElse(Map.of()));
      ChaosLogic.State next =
          logic.apply(self, state, m, System.currentTimeMillis(), new OurEffects(context));
      context.storage().set(COUNT, next.count());
      context.storage().set(SEQ_STATE, ChaosLogic.encodeSeqs(next.outSeqs()));
      if (stall > 0) {
        return CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(stall, TimeUnit.MILLISECONDS));
      }
      return context.done();
    }
  }

  private record OurEffects(Context context) implements ChaosLogic.Effects {
    @Override
    public void send(FnAddress to, ChaosMessage message) {
      context.send(build(to, message));
    }

    @Override
    public void sendAfter(Duration delay, String token, FnAddress to, ChaosMessage message) {
      if (token == null) {
        context.sendAfter(delay, build(to, message));
      } else {
        context.sendAfter(delay, token, build(to, message));
      }
    }

    @Override
    public void cancel(String token) {
      context.cancelDelayedMessage(token);
    }

    @Override
    public void kafka(String topic, String key, byte[] value) {
      context.send(
          KafkaEgressMessage.forEgress(EGRESS)
              .withTopic(topic)
              .withUtf8Key(key)
              .withValue(value)
              .build());
    }

    private static Message build(FnAddress to, ChaosMessage message) {
      TypeName type = TypeName.of(ChaosMessage.NAMESPACE, to.kind().typeName());
      return MessageBuilder.forAddress(new Address(type, to.id()))
          .withValue(CMD, Json.bytes(message))
          .build();
    }
  }
}
