package io.kstatefun.runtime.testing;

import io.kstatefun.sdk.FunctionRegistry;
import io.kstatefun.sdk.KafkaEgressMessage;
import io.kstatefun.sdk.StatefulFunctionSpec;
import io.kstatefun.sdk.TypeName;
import io.kstatefun.sdk.http.FunctionServer;
import io.kstatefun.sdk.http.FunctionServerOptions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function written with the kstatefun SDK that echoes every message to a Kafka egress: key = the
 * address id, value = {@code ID|HEX(payload)}. It accepts any payload, so whatever reaches it
 * counts as processed.
 */
public final class EchoFunction implements AutoCloseable {

  private final FunctionServer server;
  private final AtomicInteger invocations = new AtomicInteger();

  /**
   * @param type the function type served
   * @param egress the egress id ({@code namespace/name})
   * @param topic the egress topic
   */
  public EchoFunction(TypeName type, TypeName egress, String topic) {
    FunctionRegistry registry =
        FunctionRegistry.of(
            StatefulFunctionSpec.builder(type)
                .withSupplier(
                    () ->
                        (context, message) -> {
                          invocations.incrementAndGet();
                          String id = context.self().id();
                          context.send(
                              KafkaEgressMessage.forEgress(egress)
                                  .withTopic(topic)
                                  .withUtf8Key(id)
                                  .withUtf8Value(
                                      id + "|" + HexFormat.of().formatHex(message.rawValue()))
                                  .build());
                          return context.done();
                        })
                .build());
    server =
        new FunctionServer(
                registry,
                FunctionServerOptions.defaults()
                    .withHost("127.0.0.1")
                    .withShutdownTimeout(Duration.ofSeconds(2)))
            .listen(0);
  }

  public String urlTemplate() {
    return "http://127.0.0.1:" + server.port() + "/{function.name}";
  }

  public int invocations() {
    return invocations.get();
  }

  @Override
  public void close() {
    server.close();
  }
}
