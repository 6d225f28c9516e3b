package io.kstatefun.runtime.testing;

import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.MessageBuilder;
import io.kstatefun.sdk.RequestReplyHandler;
import io.kstatefun.sdk.StatefulFunction;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.types.Types;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A chain of two functions in two SDKs for header and tracing tests: ingress -> {@code
 * example/counter} ({@link OfficialSdkCounter}, the official StateFun SDK 3.3.0, which cannot see
 * or set headers) -> {@code example/forwarder} (written with kstatefun's SDK here) -> Kafka egress
 * {@code example/out}.
 *
 * <p>The forwarder reads the headers of its message and writes them on the egress record, followed
 * by {@code x-seen-by: forwarder} and another {@code x-dup: 3}; the record's value is the counter's
 * text ({@code <id>:<count>:<payload>}) and its key the forwarder's id.
 */
public final class HeaderChain {

  private HeaderChain() {}

  /** The forwarder, with kstatefun's SDK, as bytes in, future of bytes out. */
  public static Function<byte[], CompletableFuture<byte[]>> forwarder(String egressTopic) {
    return functions(egressTopic, false);
  }

  /**
   * The forwarder and {@code example/relay}, with kstatefun's SDK: the forwarder sends its message
   * on to the relay (id {@code <id>-relay}, headers passed on, without additions); the relay writes
   * the egress record as the plain forwarder does. A three-function chain.
   */
  public static Function<byte[], CompletableFuture<byte[]>> forwarderAndRelay(String egressTopic) {
    return functions(egressTopic, true);
  }

  private static Function<byte[], CompletableFuture<byte[]>> functions(
      String egressTopic, boolean viaRelay) {
    StatefulFunction emit =
        (context, message) -> {
          context.send(
              KafkaEgressMessage.forEgress(TypeName.of("example", "out"))
                  .withTopic(egressTopic)
                  .withUtf8Key(context.self().id())
                  .withValue(message.rawValue())
                  .withHeaders(message.headers())
                  .withUtf8Header("x-seen-by", "forwarder")
                  .withUtf8Header("x-dup", "3")
                  .build());
          return CompletableFuture.completedFuture(null);
        };
    StatefulFunction relay =
        (context, message) -> {
          context.send(
              MessageBuilder.forAddress(RELAY, context.self().id() + "-relay")
                  .withValue(
                      Types.<byte[]>simpleType(message.valueTypeName(), b -> b, b -> b),
                      message.rawValue())
                  .build());
          return CompletableFuture.completedFuture(null);
        };
    RequestReplyHandler handler =
        FunctionRegistry.of(
                StatefulFunctionSpec.builder(TypeName.of("example", "forwarder"))
                    .withSupplier(() -> viaRelay ? relay : emit)
                    .build(),
                StatefulFunctionSpec.builder(RELAY).withSupplier(() -> emit).build())
            .requestReplyHandler();
    return handler::handle;
  }

  /** The third function of {@link #forwarderAndRelay}. */
  public static final TypeName RELAY = TypeName.of("example", "relay");

  /**
   * Writes the module: {@code example/counter} at {@code counterUrl}, {@code example/forwarder} and
   * {@code example/relay} at {@code forwarderUrl}; topic {@code withHeaders} forwards every header
   * ({@code forwardHeaders: true} at ingress level), topic {@code withoutHeaders} overrides it with
   * {@code false}.
   */
  public static Path writeModule(
      Path dir,
      String counterUrl,
      String forwarderUrl,
      String bootstrap,
      String withHeaders,
      String withoutHeaders)
      throws IOException {
    String yaml =
        String.join(
            "\n",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: example/counter",
            "  urlPathTemplate: " + counterUrl,
            "  transport:",
            "    call: 30s",
            "---",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: example/forwarder",
            "  urlPathTemplate: " + forwarderUrl,
            "  transport:",
            "    call: 30s",
            "---",
            "kind: io.statefun.endpoints.v2/http",
            "spec:",
            "  functions: example/relay",
            "  urlPathTemplate: " + forwarderUrl,
            "  transport:",
            "    call: 30s",
            "---",
            "kind: io.statefun.kafka.v1/ingress",
            "spec:",
            "  id: example/in",
            "  address: " + bootstrap,
            "  consumerGroupId: kstatefun-it",
            "  forwardHeaders: true",
            "  startupPosition:",
            "    type: earliest",
            "  topics:",
            "    - topic: " + withHeaders,
            "      valueType: example/payload",
            "      targets:",
            "        - example/counter",
            "    - topic: " + withoutHeaders,
            "      forwardHeaders: false",
            "      valueType: example/payload",
            "      targets:",
            "        - example/counter",
            "---",
            "kind: io.statefun.kafka.v1/egress",
            "spec:",
            "  id: example/out",
            "  address: " + bootstrap,
            "  deliverySemantic:",
            "    type: exactly-once",
            "    transactionTimeout: 15min",
            "");
    Path file = dir.resolve("module.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return file;
  }
}
