package io.kstatefun.examples.greeter;

import io.kstatefun.sdk.Context;
import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.Message;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.ValueSpec;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.types.Type;
import io.kstatefun.sdk.types.Types;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * "Hello world" with state: counts the visits of every name and greets it.
 *
 * <p>The ingress topic {@code names} carries records keyed by a name (the function id) whose value
 * is the name as plain UTF-8 (type {@code example/name}). For each record the function {@code
 * example/greeter} at address {@code (example/greeter, <name>)} increments its {@code visits} and
 * writes {@code Hello <name>, visit #<n>} to the Kafka topic {@code greetings}, keyed by the name.
 */
public final class Greeter implements StatefulFunction {

  /** The function type. */
  public static final TypeName TYPE = TypeName.of("example", "greeter");

  /** The egress the greetings go to (declared in module.yaml). */
  public static final TypeName GREETINGS_EGRESS = TypeName.of("example", "greetings");

  /** The Kafka topic of the greetings. */
  public static final String GREETINGS_TOPIC = "greetings";

  /** The ingress topic of the names. */
  public static final String NAMES_TOPIC = "names";

  /**
   * The ingress payload: a name as plain UTF-8 bytes, as written by any Kafka producer. (The
   * built-in {@code io.statefun.types/string} would expect a protobuf wrapper.)
   */
  public static final Type<String> NAME =
      Types.simpleType(
          TypeName.of("example", "name"),
          name -> name.getBytes(StandardCharsets.UTF_8),
          bytes -> new String(bytes, StandardCharsets.UTF_8));

  /** How often this name was seen. */
  public static final ValueSpec<Integer> VISITS = ValueSpec.named("visits").withIntType();

  /** The function's declaration. */
  public static final StatefulFunctionSpec SPEC =
      StatefulFunctionSpec.builder(TYPE).withValueSpecs(VISITS).withSupplier(Greeter::new).build();

  @Override
  public CompletableFuture<Void> apply(Context context, Message message) {
    String name = message.as(NAME);
    int visits = context.storage().get(VISITS).orElse(0) + 1;
    context.storage().set(VISITS, visits);
    context.send(
        KafkaEgressMessage.forEgress(GREETINGS_EGRESS)
            .withTopic(GREETINGS_TOPIC)
            .withUtf8Key(context.self().id())
            .withUtf8Value(greeting(name, visits))
            .build());
    return context.done();
  }

  /** The greeting for the {@code visits}-th visit of {@code name}. */
  public static String greeting(String name, int visits) {
    return "Hello " + name + ", visit #" + visits;
  }

  /** A registry holding the greeter. */
  public static FunctionRegistry registry() {
    return FunctionRegistry.of(SPEC);
  }

  /** Serves the greeter over HTTP on {@code port} (0 = a free one); close the server to stop. */
  public static FunctionServer serve(int port) {
    return new FunctionServer(registry()).listen(port);
  }

  /** Serves the greeter over HTTP: {@code Greeter [port]} (default 8000). */
  public static void main(String[] args) {
    FunctionServer server = serve(args.length > 0 ? Integer.parseInt(args[0]) : 8000);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "greeter-shutdown"));
    System.out.println("greeter functions listening on port " + server.port());
  }
}
