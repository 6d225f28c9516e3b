package io.kstatefun.routing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.RoutingException.Reason;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleConfigException;
import io.kstatefun.routing.module.ModuleParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngressRouterTest {

  private static final String TWO_INGRESSES =
      """
      kind: io.statefun.kafka.v1/ingress
      spec:
        id: com.example/logins
        topics:
          - topic: user-logins
            valueType: com.example/UserLogin
            targets:
              - com.example.fns/greeter
              - com.example.fns/counter
          - topic: user-profiles
            valueType: com.example/UserProfile
            targets:
              - com.example.fns/counter
        maxRecordBytes: 16
      ---
      kind: io.statefun.kafka.v1/ingress
      spec:
        id: com.example/audit
        topics:
          - topic: user-logins
            valueType: com.example/AuditEvent
            targets:
              - com.example.audit/auditor
        maxRecordBytes: 16
      """;

  private final IngressRouter router =
      IngressRouter.of(ModuleParser.parse(TWO_INGRESSES, "router-test.yaml").ingresses());

  @Test
  void shouldRouteRecordToEveryTargetWithTheKeyAsId() throws RoutingException {
    List<Routed> routed = router.route("user-profiles", bytes("alice"), bytes("profile"));

    assertThat(routed).hasSize(1);
    Routed only = routed.get(0);
    assertThat(only.target()).isEqualTo(address("com.example.fns/counter", "alice"));
    assertThat(only.argument())
        .isEqualTo(
            TypedValue.newBuilder()
                .setTypename("com.example/UserProfile")
                .setHasValue(true)
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("profile"))
                .build());
  }

  @Test
  void shouldRouteTopicOfSeveralIngressesToUnionOfTargetsInDeclarationOrder()
      throws RoutingException {
    List<Routed> routed = router.route("user-logins", bytes("bob"), bytes("login"));

    assertThat(routed)
        .extracting(Routed::target)
        .containsExactly(
            address("com.example.fns/greeter", "bob"),
            address("com.example.fns/counter", "bob"),
            address("com.example.audit/auditor", "bob"));
    assertThat(routed)
        .extracting(r -> r.argument().getTypename())
        .containsExactly(
            "com.example/UserLogin", "com.example/UserLogin", "com.example/AuditEvent");
    assertThat(routed)
        .allSatisfy(r -> assertThat(r.argument().getValue().toStringUtf8()).isEqualTo("login"));
    assertThat(router.ingressesFor("user-logins"))
        .extracting(KafkaIngressSpec::id)
        .containsExactly(TypeName.parse("com.example/logins"), TypeName.parse("com.example/audit"));
    assertThat(router.topics()).containsExactly("user-logins", "user-profiles");
  }

  @Test
  void shouldGiveEveryTargetTheHeadersInOrderWithNullAndDuplicateKeys() throws RoutingException {
    List<TypedValue.Metadata> headers =
        List.of(
            TypedValue.Metadata.newBuilder()
                .setKey("k")
                .setHasValue(true)
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("1"))
                .build(),
            TypedValue.Metadata.newBuilder().setKey("nothing").build(),
            TypedValue.Metadata.newBuilder()
                .setKey("k")
                .setHasValue(true)
                .setValue(com.google.protobuf.ByteString.EMPTY)
                .build());

    List<Routed> routed = router.route("user-logins", bytes("bob"), bytes("login"), headers);

    assertThat(routed).hasSize(3);
    assertThat(routed)
        .allSatisfy(r -> assertThat(r.argument().getMetadataList()).isEqualTo(headers));
    assertThat(router.route("user-logins", bytes("bob"), bytes("login")))
        .allSatisfy(r -> assertThat(r.argument().getMetadataCount()).isZero());
  }

  @Test
  void shouldRouteNonAsciiKeyAndEmptyValue() throws RoutingException {
    List<Routed> routed = router.route("user-profiles", bytes("Jürgen-日本"), new byte[0]);

    assertThat(routed.get(0).target().id()).isEqualTo("Jürgen-日本");
    assertThat(routed.get(0).argument().getHasValue()).isTrue();
    assertThat(routed.get(0).argument().getValue().isEmpty()).isTrue();
  }

  @Test
  void shouldNotShareValueBytesWithTheCaller() throws RoutingException {
    byte[] value = bytes("before");
    List<Routed> routed = router.route("user-profiles", bytes("alice"), value);
    value[0] = 'X';

    assertThat(routed.get(0).argument().getValue().toStringUtf8()).isEqualTo("before");
  }

  @Test
  void shouldRejectUndeclaredTopic() {
    RoutingException e = routeFailure("orders", bytes("alice"), bytes("x"));

    assertThat(e.reason()).isEqualTo(Reason.UNDECLARED_TOPIC);
    assertThat(e.topic()).isEqualTo("orders");
    assertThat(e.ingressIds()).isEmpty();
    assertThat(e)
        .hasMessageContaining("topic 'orders'")
        .hasMessageContaining("UNDECLARED_TOPIC")
        .hasMessageContaining("[user-logins, user-profiles]");
  }

  @Test
  void shouldRejectNullKey() {
    RoutingException e = routeFailure("user-logins", null, bytes("x"));

    assertThat(e.reason()).isEqualTo(Reason.NULL_KEY);
    assertThat(e.ingressIds())
        .containsExactly(TypeName.parse("com.example/logins"), TypeName.parse("com.example/audit"));
    assertThat(e)
        .hasMessageContaining("topic 'user-logins'")
        .hasMessageContaining("ingresses com.example/logins, com.example/audit")
        .hasMessageContaining("no key");
  }

  @Test
  void shouldRejectEmptyKey() {
    RoutingException e = routeFailure("user-profiles", new byte[0], bytes("x"));

    assertThat(e.reason()).isEqualTo(Reason.EMPTY_KEY);
    assertThat(e)
        .hasMessageContaining("(ingress com.example/logins)")
        .hasMessageContaining("empty");
  }

  @Test
  void shouldRejectKeyThatIsNotUtf8() {
    RoutingException e =
        routeFailure("user-profiles", new byte[] {'a', (byte) 0xC3, (byte) 0x28}, bytes("x"));

    assertThat(e.reason()).isEqualTo(Reason.INVALID_KEY);
    assertThat(e).hasMessageContaining("3 bytes").hasMessageContaining("not valid UTF-8");
  }

  @Test
  void shouldRejectTombstone() {
    RoutingException e = routeFailure("user-profiles", bytes("alice"), null);

    assertThat(e.reason()).isEqualTo(Reason.NULL_VALUE);
    assertThat(e).hasMessageContaining("tombstone").hasMessageContaining("'alice'");
  }

  @Test
  void shouldRejectValueLargerThanMaxRecordBytes() throws RoutingException {
    assertThat(router.route("user-profiles", bytes("alice"), new byte[16])).hasSize(1);

    RoutingException e = routeFailure("user-profiles", bytes("alice"), new byte[17]);

    assertThat(e.reason()).isEqualTo(Reason.RECORD_TOO_LARGE);
    assertThat(e).hasMessageContaining("17 bytes").hasMessageContaining("maxRecordBytes 16");
  }

  @Test
  void shouldUseOneMebibyteLimitByDefault() throws RoutingException {
    IngressRouter defaults =
        IngressRouter.of(
            ModuleParser.parse(
                    """
                    kind: io.statefun.kafka.v1/ingress
                    spec:
                      id: a/b
                      topics:
                        - {topic: t, valueType: a/v, targets: [a/f]}
                    """,
                    "defaults.yaml")
                .ingresses());

    assertThat(defaults.route("t", bytes("k"), new byte[1024 * 1024])).hasSize(1);
    assertThat(routeFailure(defaults, "t", bytes("k"), new byte[1024 * 1024 + 1]).reason())
        .isEqualTo(Reason.RECORD_TOO_LARGE);
  }

  @Test
  void shouldRejectIngressesThatShareATopicWithDifferentErrorPolicies() {
    List<KafkaIngressSpec> ingresses = new ArrayList<>();
    ingresses.addAll(
        ModuleParser.parse(
                """
                kind: io.statefun.kafka.v1/ingress
                spec:
                  id: a/first
                  topics: [{topic: shared, valueType: a/v, targets: [a/f]}]
                  onError: skip
                """,
                "first.yaml")
            .ingresses());
    ingresses.addAll(
        ModuleParser.parse(
                """
                kind: io.statefun.kafka.v1/ingress
                spec:
                  id: a/second
                  topics: [{topic: shared, valueType: a/v, targets: [a/g]}]
                """,
                "second.yaml")
            .ingresses());

    assertThatThrownBy(() -> IngressRouter.of(ingresses))
        .isInstanceOf(ModuleConfigException.class)
        .hasMessageContaining("Topic 'shared'")
        .hasMessageContaining("a/first (first.yaml, document 1)")
        .hasMessageContaining("a/second (second.yaml, document 1)")
        .hasMessageContaining("different onError (skip vs dead-letter)");
  }

  @Test
  void shouldExposeErrorPolicyOfATopic() {
    assertThat(router.errorPolicyFor("user-logins"))
        .map(KafkaIngressSpec::onError)
        .contains(KafkaIngressSpec.OnError.DEAD_LETTER);
    assertThat(router.errorPolicyFor("unknown")).isEmpty();
  }

  private RoutingException routeFailure(String topic, byte[] key, byte[] value) {
    return routeFailure(router, topic, key, value);
  }

  private static RoutingException routeFailure(
      IngressRouter router, String topic, byte[] key, byte[] value) {
    RoutingException e =
        catchThrowableOfType(RoutingException.class, () -> router.route(topic, key, value));
    assertThat(e).as("expected a RoutingException").isNotNull();
    return e;
  }

  private static Address address(String type, String id) {
    return new Address(FunctionType.parse(type), id);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
