package io.kstatefun.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Headers in TypedValue.metadata: read from a request, written on messages and Kafka records. */
@Timeout(30)
class MessageHeadersTest {
  private static final TypeName FN = TypeName.of("example", "fn");
  private static final TypeName NEXT = TypeName.of("example", "next");
  private static final TypeName OUT = TypeName.of("example", "out");

  private static TypedValue.Metadata meta(String key, String value) {
    TypedValue.Metadata.Builder b = TypedValue.Metadata.newBuilder().setKey(key);
    if (value != null) {
      b.setHasValue(true).setValue(ByteString.copyFromUtf8(value));
    }
    return b.build();
  }

  @Test
  void shouldReadHeadersInOrderWithDuplicatesNullAndEmptyValues() throws Exception {
    AtomicReference<List<MessageHeader>> seen = new AtomicReference<>();
    AtomicReference<String> last = new AtomicReference<>();
    RequestReplyHandler handler =
        FunctionRegistry.of(
                StatefulFunctionSpec.builder(FN)
                    .withSupplier(
                        () ->
                            (context, message) -> {
                              seen.set(message.headers());
                              last.set(message.lastHeader("k").orElseThrow().valueAsUtf8String());
                              context.send(
                                  MessageBuilder.forAddress(NEXT, "b")
                                      .withValue("v")
                                      .withHeaders(message.headers())
                                      .withUtf8Header("added", "yes")
                                      .build());
                              context.send(
                                  KafkaEgressMessage.forEgress(OUT)
                                      .withTopic("t")
                                      .withUtf8Value("out")
                                      .withHeaders(message.headers())
                                      .withHeader("nothing", null)
                                      .build());
                              return CompletableFuture.completedFuture(null);
                            })
                    .build())
            .requestReplyHandler();
    TypedValue argument =
        TypedValue.newBuilder()
            .setTypename("example/payload")
            .setHasValue(true)
            .setValue(ByteString.copyFromUtf8("x"))
            .addMetadata(meta("k", "1"))
            .addMetadata(meta("null", null))
            .addMetadata(meta("empty", ""))
            .addMetadata(meta("k", "2"))
            .build();
    ToFunction request =
        ToFunction.newBuilder()
            .setInvocation(
                ToFunction.InvocationBatchRequest.newBuilder()
                    .setTarget(
                        io.kstatefun.protocol.Address.newBuilder()
                            .setNamespace("example")
                            .setType("fn")
                            .setId("a"))
                    .addInvocations(ToFunction.Invocation.newBuilder().setArgument(argument)))
            .build();

    FromFunction response = handler.handle(request).get(10, TimeUnit.SECONDS);

    assertThat(seen.get())
        .extracting(MessageHeader::key)
        .containsExactly("k", "null", "empty", "k");
    assertThat(seen.get().get(1).hasValue()).isFalse();
    assertThat(seen.get().get(1).value()).isNull();
    assertThat(seen.get().get(2).value()).isEmpty();
    assertThat(last.get()).isEqualTo("2");

    FromFunction.InvocationResponse result = response.getInvocationResult();
    assertThat(result.getOutgoingMessages(0).getArgument().getMetadataList())
        .containsExactly(
            meta("k", "1"),
            meta("null", null),
            meta("empty", ""),
            meta("k", "2"),
            meta("added", "yes"));
    KafkaProducerRecord record =
        KafkaProducerRecord.parseFrom(result.getOutgoingEgresses(0).getArgument().getValue());
    assertThat(record.getHeadersList())
        .extracting(
            h -> h.getKey() + "=" + (h.getHasValue() ? h.getValue().toStringUtf8() : "<null>"))
        .containsExactly("k=1", "null=<null>", "empty=", "k=2", "nothing=<null>");
  }

  @Test
  void shouldHaveNoHeadersByDefault() {
    Message message = MessageBuilder.forAddress(FN, "a").withValue(1).build();
    assertThat(message.headers()).isEmpty();
    assertThat(message.lastHeader("k")).isEmpty();
    assertThat(message.typedValue().getMetadataCount()).isZero();
    assertThat(MessageHeader.ofUtf8(null, "x").key()).isEmpty();
    assertThat(MessageHeader.of("k", "é".getBytes(StandardCharsets.UTF_8)).valueAsUtf8String())
        .isEqualTo("é");
  }
}
