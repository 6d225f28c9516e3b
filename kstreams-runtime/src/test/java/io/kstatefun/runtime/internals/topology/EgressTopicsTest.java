package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EgressTopicsTest {

  private final AtomicLong now = new AtomicLong(1_000);

  /** Lookups asked for, in order, each answered by the test. */
  private final Map<String, List<CompletableFuture<Boolean>>> lookups = new LinkedHashMap<>();

  private final List<String> asked = new ArrayList<>();
  private final AtomicInteger wakeUps = new AtomicInteger();

  private final EgressTopics topics =
      new EgressTopics(
          topic -> {
            asked.add(topic);
            CompletableFuture<Boolean> answer = new CompletableFuture<>();
            lookups.computeIfAbsent(topic, t -> new ArrayList<>()).add(answer);
            return answer;
          },
          now::get,
          () -> {});

  private CompletableFuture<Boolean> lastLookup(String topic) {
    List<CompletableFuture<Boolean>> list = lookups.get(topic);
    return list.get(list.size() - 1);
  }

  private boolean answered(String... names) {
    return topics.answered(List.of(names), wakeUps::incrementAndGet);
  }

  @Test
  void shouldNotWaitForTheClusterAndWakeTheCallerWhenItAnswers() {
    assertThat(answered("out")).isFalse();
    assertThat(wakeUps).hasValue(0);

    lastLookup("out").complete(true);
    assertThat(wakeUps).hasValue(1);
    assertThat(answered("out")).isTrue();
    assertThat(topics.test("out")).isTrue();
  }

  @Test
  void shouldAskOnceWhileALookupIsInFlightAndOnceForAnExistingTopic() {
    assertThat(answered("out")).isFalse();
    assertThat(answered("out")).isFalse();
    lastLookup("out").complete(true);
    assertThat(wakeUps).as("every waiting caller is woken").hasValue(2);
    assertThat(answered("out")).isTrue();
    now.addAndGet(3_600_000);
    assertThat(answered("out")).isTrue();
    assertThat(asked).containsExactly("out");
  }

  @Test
  void shouldTakeAMissingTopicAsMissingUntilTheRecheckInterval() {
    answered("later");
    lastLookup("later").complete(false);
    assertThat(answered("later")).isTrue();
    assertThat(topics.test("later")).isFalse();

    now.addAndGet(EgressTopics.MISSING_RECHECK.toMillis());
    assertThat(answered("later")).as("a stale answer is asked again").isFalse();
    lastLookup("later").complete(true);
    assertThat(answered("later")).isTrue();
    assertThat(topics.test("later")).isTrue();
    assertThat(asked).containsExactly("later", "later");
  }

  @Test
  void shouldHoldAnswersWhileTheClusterIsUnreachable() {
    answered("out");
    lastLookup("out").completeExceptionally(new TimeoutException("no answer"));
    assertThat(wakeUps).hasValue(1);
    assertThat(answered("out")).as("an unanswered lookup decides nothing: ask again").isFalse();
    assertThat(asked).containsExactly("out", "out");
    lastLookup("out").complete(true);
    assertThat(answered("out")).isTrue();
    assertThat(topics.test("out")).isTrue();
  }

  @Test
  void shouldLetTheProducerDecideWhenTheClusterRefusesToSay() {
    answered("secret");
    lastLookup("secret").completeExceptionally(new TopicAuthorizationException("no describe"));
    assertThat(answered("secret")).isTrue();
    assertThat(topics.test("secret")).isTrue();
  }

  @Test
  void shouldFindTheKafkaEgressTopicsOfAnAnswer() {
    FromFunction.InvocationResponse.Builder result = FromFunction.InvocationResponse.newBuilder();
    for (String topic : List.of("a", "b", "a")) {
      result.addOutgoingEgresses(
          FromFunction.EgressMessage.newBuilder()
              .setEgressNamespace("example")
              .setEgressType("out")
              .setArgument(
                  TypedValue.newBuilder()
                      .setTypename(Dispatcher.KAFKA_PRODUCER_RECORD_TYPENAME)
                      .setHasValue(true)
                      .setValue(
                          KafkaProducerRecord.newBuilder()
                              .setTopic(topic)
                              .build()
                              .toByteString())));
    }
    result.addOutgoingEgresses(
        FromFunction.EgressMessage.newBuilder()
            .setArgument(TypedValue.newBuilder().setTypename("other/type").setHasValue(true)));
    FromFunction response = FromFunction.newBuilder().setInvocationResult(result).build();
    assertThat(EgressTopics.topicsOf(response)).containsExactly("a", "b");
    assertThat(EgressTopics.topicsOf(FromFunction.getDefaultInstance())).isEmpty();
  }

  /** The topic is read without parsing the whole record; it must agree with a full parse. */
  @Test
  void shouldReadTheTopicOfARecordLikeAFullParse() throws Exception {
    KafkaProducerRecord full =
        KafkaProducerRecord.newBuilder()
            .setKey("k")
            .setValueBytes(com.google.protobuf.ByteString.copyFromUtf8("value"))
            .setTopic("orders")
            .addHeaders(KafkaProducerRecord.Header.newBuilder().setKey("h").setHasValue(true))
            .build();
    assertThat(EgressTopics.topicOf(full.toByteString())).isEqualTo("orders");
    assertThat(
            EgressTopics.topicOf(
                KafkaProducerRecord.newBuilder().setKey("k").build().toByteString()))
        .isEmpty();
    // A field repeated on the wire: the last one wins, as in a full parse.
    com.google.protobuf.ByteString twice =
        full.toByteString()
            .concat(KafkaProducerRecord.newBuilder().setTopic("later").build().toByteString());
    assertThat(EgressTopics.topicOf(twice))
        .isEqualTo(KafkaProducerRecord.parseFrom(twice).getTopic())
        .isEqualTo("later");
  }

  /**
   * The stream thread asks; with the old blocking check it waited 5 s for an unreachable cluster.
   */
  @Test
  void shouldAnswerAtOnceWhenTheClusterIsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    try (EgressTopics real =
        EgressTopics.withAdmin(
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port)))) {
      long start = System.nanoTime();
      boolean exists = real.test("some-topic");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(exists).as("an unknown topic is taken to exist").isTrue();
      assertThat(ms).as("ms the caller waited").isLessThan(1_000);
    }
  }
}
