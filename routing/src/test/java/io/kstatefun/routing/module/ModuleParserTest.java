package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.TypeName;
import io.kstatefun.routing.module.HttpEndpointSpec.OnFailure;
import io.kstatefun.routing.module.KafkaEgressSpec.DeliverySemantic;
import io.kstatefun.routing.module.KafkaIngressSpec.AutoOffsetReset;
import io.kstatefun.routing.module.KafkaIngressSpec.OnError;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ModuleParserTest {

  @Test
  void shouldParseMultiDocumentModuleWithEveryComponentKind() {
    ModuleSpec module = ModuleParser.parse(resource("multi-document.yaml"));

    assertThat(module.endpoints()).hasSize(3);
    assertThat(module.ingresses()).hasSize(1);
    assertThat(module.egresses()).hasSize(1);

    HttpEndpointSpec wildcard = module.endpoints().get(0);
    assertThat(wildcard.functions()).isEqualTo(new FunctionTarget.Namespace("com.example.fns"));
    assertThat(wildcard.urlPathTemplate())
        .isEqualTo("http://functions:8000/statefun/{function.name}");
    assertThat(wildcard.maxNumBatchRequests()).isEqualTo(1000);
    assertThat(wildcard.transport())
        .isEqualTo(
            new HttpTransportSpec(
                Optional.of(HttpTransportSpec.ASYNC_TYPE),
                Duration.ofMinutes(2),
                Duration.ofSeconds(15),
                Optional.empty(),
                Optional.empty(),
                Duration.ofSeconds(30),
                64,
                1048576,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty()));
    assertThat(wildcard.onFailure()).isEqualTo(OnFailure.DEAD_LETTER);
    assertThat(wildcard.headers()).isEmpty();
    assertThat(wildcard.maxInFlight()).isEmpty();
    assertThat(wildcard.origin()).endsWith("multi-document.yaml, document 1");

    HttpEndpointSpec exact = module.endpoints().get(1);
    assertThat(exact.functions())
        .isEqualTo(new FunctionTarget.Exact(FunctionType.parse("com.example.fns/greeter")));
    assertThat(exact.maxNumBatchRequests()).isEqualTo(50);
    assertThat(exact.transport()).isEqualTo(HttpTransportSpec.defaults());
    assertThat(exact.origin()).endsWith("multi-document.yaml, document 2");

    HttpEndpointSpec v1 = module.endpoints().get(2);
    assertThat(v1.functions()).hasToString("com.example.legacy/*");
    assertThat(v1.maxNumBatchRequests()).isEqualTo(10000);
    assertThat(v1.transport().type()).contains(HttpTransportSpec.OKHTTP_TYPE);
    assertThat(v1.transport().call()).isEqualTo(Duration.ofMinutes(1));
    assertThat(v1.transport().connect()).isEqualTo(Duration.ofSeconds(30));
    assertThat(v1.transport().read()).contains(Duration.ofSeconds(20));
    assertThat(v1.transport().write()).contains(Duration.ofSeconds(10));

    KafkaIngressSpec ingress = module.ingresses().get(0);
    assertThat(ingress.id()).isEqualTo(TypeName.parse("com.example/users"));
    assertThat(ingress.address()).contains("kafka-broker:9092");
    assertThat(ingress.consumerGroupId()).contains("my-consumer-group");
    assertThat(ingress.startupPosition()).isEqualTo(new StartupPosition.Earliest());
    assertThat(ingress.autoOffsetResetPosition()).isEqualTo(AutoOffsetReset.EARLIEST);
    assertThat(ingress.topics())
        .containsExactly(
            new IngressTopic(
                "user-logins",
                TypeName.parse("com.example/UserLogin"),
                List.of(
                    FunctionType.parse("com.example.fns/greeter"),
                    FunctionType.parse("com.example.fns/counter"))),
            new IngressTopic(
                "user-profiles",
                TypeName.parse("com.example/UserProfile"),
                List.of(FunctionType.parse("com.example.fns/counter"))));
    assertThat(ingress.properties())
        .containsExactly(
            Map.entry("max.poll.records", "100"), Map.entry("isolation.level", "read_committed"));
    assertThat(ingress.onError()).isEqualTo(OnError.DEAD_LETTER);
    assertThat(ingress.deadLetterTopic()).isEmpty();
    assertThat(ingress.maxRecordBytes()).isEqualTo(1024 * 1024);

    KafkaEgressSpec egress = module.egresses().get(0);
    assertThat(egress.id()).isEqualTo(TypeName.parse("com.example/greetings"));
    assertThat(egress.address()).contains("kafka-broker:9092");
    assertThat(egress.deliverySemantic())
        .isEqualTo(
            new DeliverySemantic(
                DeliverySemantic.Type.EXACTLY_ONCE, Optional.of(Duration.ofMinutes(15))));
    assertThat(egress.properties()).containsExactly(Map.entry("compression.type", "lz4"));
    assertThat(egress.origin()).endsWith("multi-document.yaml, document 5");
  }

  @Test
  void shouldParseLegacyVersion30Format() {
    ModuleSpec module = ModuleParser.parse(resource("legacy-v3_0.yaml"));

    HttpEndpointSpec endpoint = module.endpoints().get(0);
    assertThat(endpoint.functions()).isEqualTo(new FunctionTarget.Namespace("com.foo.bar"));
    assertThat(endpoint.urlPathTemplate())
        .isEqualTo("http://bar.foo.com:8080/functions/{function.name}");
    assertThat(endpoint.maxNumBatchRequests()).isEqualTo(10000);
    assertThat(endpoint.transport().call()).isEqualTo(Duration.ofMinutes(1));
    assertThat(endpoint.transport().connect()).isEqualTo(Duration.ofSeconds(10));
    assertThat(endpoint.transport().read()).contains(Duration.ofSeconds(10));
    assertThat(endpoint.transport().write()).contains(Duration.ofSeconds(10));
    assertThat(endpoint.origin()).endsWith("legacy-v3_0.yaml, module.spec.endpoints[0]");

    KafkaIngressSpec ingress = module.ingresses().get(0);
    assertThat(ingress.id()).isEqualTo(TypeName.parse("com.foo.bar/names"));
    assertThat(ingress.consumerGroupId()).contains("greeter");
    assertThat(ingress.startupPosition()).isEqualTo(new StartupPosition.GroupOffsets());
    assertThat(ingress.topics().get(0).targets())
        .containsExactly(FunctionType.parse("com.foo.bar/greeter"));
    assertThat(ingress.origin()).endsWith("legacy-v3_0.yaml, module.spec.ingresses[0]");

    KafkaEgressSpec egress = module.egresses().get(0);
    assertThat(egress.id()).isEqualTo(TypeName.parse("com.foo.bar/greets"));
    assertThat(egress.deliverySemantic().transactionTimeout()).contains(Duration.ofSeconds(100));
    assertThat(egress.properties()).containsExactly(Map.entry("foo.config", "bar"));
  }

  @Test
  void shouldParseKstatefunExtensions() {
    ModuleSpec module = ModuleParser.parse(resource("extensions.yaml"));

    HttpEndpointSpec endpoint = module.endpoints().get(0);
    assertThat(endpoint.onFailure()).isEqualTo(OnFailure.RETRY_FOREVER);
    assertThat(endpoint.maxInFlight()).isEqualTo(OptionalInt.of(256));
    assertThat(endpoint.headers())
        .containsExactly(
            Map.entry("Authorization", new HeaderSource.FromEnv("FUNCTIONS_TOKEN")),
            Map.entry(
                "X-Client-Certificate-Id", new HeaderSource.FromFile("/etc/kstatefun/client-id")),
            Map.entry("X-Tenant", new HeaderSource.Literal("acme")));
    assertThat(endpoint.headers().get("X-Tenant").toString()).doesNotContain("acme");

    KafkaIngressSpec ingress = module.ingresses().get(0);
    assertThat(ingress.deadLetterTopic()).contains("orders-dlq");
    assertThat(ingress.onError()).isEqualTo(OnError.DEAD_LETTER);
    assertThat(ingress.maxRecordBytes()).isEqualTo(65536);
    assertThat(ingress.properties())
        .containsExactly(
            Map.entry("max.poll.records", "500"), Map.entry("client.rack", "eu-west-1a"));
    assertThat(ingress.startupPosition()).isEqualTo(new StartupPosition.Latest());
    assertThat(ingress.autoOffsetResetPosition()).isEqualTo(AutoOffsetReset.LATEST);
  }

  @Test
  void shouldParseTheExampleOfStatefunsModuleDocumentation() {
    ModuleSpec module =
        parse(
            """
            kind: io.statefun.endpoints.v2/http
            spec:
              functions: com.example/*
              urlPathTemplate: https://bar.foo.com/{function.name}
            ---
            kind: io.statefun.kafka.v1/ingress
            spec:
              id: com.example/my-ingress
              address: kafka-broker:9092
              consumerGroupId: my-consumer-group
              topics:
                - topic: message-topic
                  valueType: io.statefun.types/string
                  targets:
                    - com.example/greeter
            ---
            kind: io.statefun.kafka.v1/egress
            spec:
              id: com.example/my-egress
              address: kafka-broker:9092
              deliverySemantic:
                type: exactly-once
                transactionTimeout: 15min
            """);

    assertThat(module.endpointRouter().urlFor(FunctionType.parse("com.example/greeter")))
        .isEqualTo(URI.create("https://bar.foo.com/greeter"));
    assertThat(module.ingresses().get(0).topics().get(0).valueType())
        .isEqualTo(TypeName.parse("io.statefun.types/string"));
    assertThat(module.egress(TypeName.parse("com.example/my-egress"))).isPresent();
    assertThat(module.ingress(TypeName.parse("com.example/my-ingress"))).isPresent();
    assertThat(module.egress(TypeName.parse("com.example/other"))).isEmpty();
  }

  @Test
  void shouldApplyOkHttpDefaultsWhenTransportHasATimeoutsBlock() {
    HttpTransportSpec transport =
        endpoint(
                """
                transport:
                  timeouts:
                    call: 1 min
                    read: 10 sec
                    write: 10 sec
                """)
            .transport();

    assertThat(transport.type()).isEmpty();
    assertThat(transport.call()).isEqualTo(Duration.ofMinutes(1));
    assertThat(transport.connect()).isEqualTo(Duration.ofSeconds(10));
    assertThat(transport.read()).contains(Duration.ofSeconds(10));
    assertThat(transport.write()).contains(Duration.ofSeconds(10));
  }

  @Test
  void shouldParseOkHttpTransportLikeStatefunsOwnTestFile() {
    HttpTransportSpec transport =
        endpoint(
                """
                transport:
                  type: io.statefun.transports.v1/okhttp
                  timeouts:
                    call: 1minute
                    connect: 30seconds
                    read: 20seconds
                    write: 10seconds
                """)
            .transport();

    assertThat(transport.type()).contains(HttpTransportSpec.OKHTTP_TYPE);
    assertThat(transport.call()).isEqualTo(Duration.ofMinutes(1));
    assertThat(transport.connect()).isEqualTo(Duration.ofSeconds(30));
    assertThat(transport.read()).contains(Duration.ofSeconds(20));
    assertThat(transport.write()).contains(Duration.ofSeconds(10));
  }

  @Test
  void shouldDefaultV2TransportToTwoMinuteCallBudget() {
    HttpTransportSpec transport = endpoint("").transport();

    assertThat(transport.call()).isEqualTo(Duration.ofMinutes(2));
    assertThat(transport.connect()).isEqualTo(Duration.ofSeconds(20));
    assertThat(transport.poolTtl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(transport.poolSize()).isEqualTo(1024);
    assertThat(transport.payloadMaxBytes()).isEqualTo(32 * 1024 * 1024);
    assertThat(transport.read()).isEmpty();
  }

  @Test
  void shouldDefaultV1TimeoutsToStatefunsOkHttpDefaults() {
    HttpTransportSpec transport =
        ModuleParser.parse(
                """
                kind: io.statefun.endpoints.v1/http
                spec:
                  functions: a/*
                  urlPathTemplate: http://a:1/
                """,
                "v1.yaml")
            .endpoints()
            .get(0)
            .transport();

    assertThat(transport.call()).isEqualTo(Duration.ofMinutes(1));
    assertThat(transport.connect()).isEqualTo(Duration.ofSeconds(10));
    assertThat(transport.read()).contains(Duration.ofSeconds(10));
    assertThat(transport.write()).contains(Duration.ofSeconds(10));
  }

  @Test
  void shouldCapDefaultConnectTimeoutAtAShortCallBudget() {
    HttpTransportSpec transport = endpoint("transport: {call: 5s}").transport();

    assertThat(transport.call()).isEqualTo(Duration.ofSeconds(5));
    assertThat(transport.connect()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void shouldParseDurationsInEveryStatefunForm() {
    assertThat(endpoint("transport: {call: 1500}").transport().call())
        .isEqualTo(Duration.ofMillis(1500));
    assertThat(endpoint("transport: {call: '90000'}").transport().call())
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(endpoint("transport: {call: 500 ms}").transport().call())
        .isEqualTo(Duration.ofMillis(500));
    assertThat(endpoint("transport: {call: 2 minutes}").transport().call())
        .isEqualTo(Duration.ofMinutes(2));
    assertThat(endpoint("transport: {call: 1h}").transport().call()).isEqualTo(Duration.ofHours(1));
    assertThat(endpoint("transport: {pool_ttl: 0}").transport().poolTtl()).isZero();
  }

  @Test
  void shouldKeepTlsLocationsOfTheAsyncTransport() {
    HttpTransportSpec transport =
        endpoint(
                """
                transport:
                  type: io.statefun.transports.v1/async
                  trust_cacerts: file:/opt/certs/a_ca.pem
                  client_cert: classpath:clientPublic.crt
                  client_key: ~/clientPrivate.key
                  client_key_password: /tmp/password.txt
                """)
            .transport();

    assertThat(transport.trustCaCerts()).contains("file:/opt/certs/a_ca.pem");
    assertThat(transport.clientCert()).contains("classpath:clientPublic.crt");
    assertThat(transport.clientKey()).contains("~/clientPrivate.key");
    assertThat(transport.clientKeyPassword()).contains("/tmp/password.txt");
  }

  @Test
  void shouldReplaceFunctionNamePlaceholderWithTheTypesName() {
    HttpEndpointSpec endpoint = endpoint("");

    assertThat(endpoint.urlFor(FunctionType.parse("com.example/greeter")))
        .isEqualTo(URI.create("http://functions:8000/greeter"));
  }

  @Test
  void shouldAcceptHostNamesWithUnderscores() {
    HttpEndpointSpec endpoint =
        ModuleParser.parse(
                """
                kind: io.statefun.endpoints.v2/http
                spec:
                  functions: a/*
                  urlPathTemplate: http://remote_functions:8000/{function.name}
                """,
                "compose.yaml")
            .endpoints()
            .get(0);

    assertThat(endpoint.urlFor(FunctionType.parse("a/fn")))
        .isEqualTo(URI.create("http://remote_functions:8000/fn"));
  }

  @Test
  void shouldParseSpecificOffsetsAsListOrMap() {
    StartupPosition expected =
        new StartupPosition.SpecificOffsets(
            Map.of(
                new TopicPartition("user-topic", 0),
                91L,
                new TopicPartition("user-topic", 1),
                11L));

    assertThat(
            ingress(
                    """
                    startupPosition:
                      type: specific-offsets
                      offsets:
                        - user-topic/0: 91
                        - user-topic/1: 11
                    """)
                .startupPosition())
        .isEqualTo(expected);
    assertThat(
            ingress(
                    """
                    startupPosition:
                      type: specific-offsets
                      offsets: {user-topic/0: 91, user-topic/1: 11}
                    """)
                .startupPosition())
        .isEqualTo(expected);
  }

  @Test
  void shouldParseStartupDateInStatefunAndIsoFormats() {
    Instant expected = Instant.parse("2020-02-01T04:15:00Z");

    assertThat(
            ingress("startupPosition: {type: date, date: '2020-02-01 05:15:00.000 +0100'}")
                .startupPosition())
        .isEqualTo(new StartupPosition.FromDate(expected));
    assertThat(
            ingress("startupPosition: {type: date, date: '2020-02-01T04:15:00Z'}")
                .startupPosition())
        .isEqualTo(new StartupPosition.FromDate(expected));
  }

  @Test
  void shouldAcceptAutoOffsetResetPositionInAnyCase() {
    assertThat(ingress("autoOffsetResetPosition: EARLIEST").autoOffsetResetPosition())
        .isEqualTo(AutoOffsetReset.EARLIEST);
  }

  @Test
  void shouldDefaultEgressToAtLeastOnce() {
    KafkaEgressSpec egress =
        parse(
                """
                kind: io.statefun.kafka.v1/egress
                spec:
                  id: a/out
                """)
            .egresses()
            .get(0);

    assertThat(egress.deliverySemantic()).isEqualTo(DeliverySemantic.atLeastOnce());
    assertThat(egress.address()).isEmpty();
    assertThat(egress.properties()).isEmpty();
  }

  @Test
  void shouldParseNoneDeliverySemantic() {
    KafkaEgressSpec egress =
        parse(
                """
                kind: io.statefun.kafka.v1/egress
                spec:
                  id: a/out
                  deliverySemantic:
                    type: none
                """)
            .egresses()
            .get(0);

    assertThat(egress.deliverySemantic().type()).isEqualTo(DeliverySemantic.Type.NONE);
  }

  @Test
  void shouldReturnEmptyModuleForFileWithoutDocuments() {
    assertThat(parse("# nothing here\n")).isEqualTo(ModuleSpec.empty());
    assertThat(parse("")).isEqualTo(ModuleSpec.empty());
  }

  @Test
  void shouldMergeSeveralFilesInOrder() {
    ModuleSpec module =
        ModuleParser.parseAll(
            List.of(resource("multi-document.yaml"), resource("more-endpoints.yaml")));

    assertThat(module.endpoints())
        .extracting(e -> e.functions().toString())
        .containsExactly(
            "com.example.fns/*", "com.example.fns/greeter", "com.example.legacy/*", "com.other/*");
    assertThat(module.ingresses()).hasSize(1);
  }

  private static ModuleSpec parse(String yaml) {
    return ModuleParser.parse(yaml, "inline.yaml");
  }

  /** Parses a v2 endpoint for com.example/* with extra spec lines. */
  private static HttpEndpointSpec endpoint(String extraSpec) {
    String yaml =
        """
        kind: io.statefun.endpoints.v2/http
        spec:
          functions: com.example/*
          urlPathTemplate: http://functions:8000/{function.name}
        """
            + extraSpec.indent(2);
    return parse(yaml).endpoints().get(0);
  }

  /** Parses a minimal ingress with extra spec lines. */
  private static KafkaIngressSpec ingress(String extraSpec) {
    String yaml =
        """
        kind: io.statefun.kafka.v1/ingress
        spec:
          id: com.example/in
          topics:
            - topic: user-topic
              valueType: com.example/User
              targets: [com.example/fn]
        """
            + extraSpec.indent(2);
    return parse(yaml).ingresses().get(0);
  }

  static Path resource(String name) {
    try {
      return Path.of(ModuleParserTest.class.getResource("/modules/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
