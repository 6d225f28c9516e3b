package io.kstatefun.routing.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every way a module file can be wrong, and what the error message says about it. */
class ModuleParserErrorsTest {

  private static final String ENDPOINT_V2 = "io.statefun.endpoints.v2/http";
  private static final String INGRESS = "io.statefun.kafka.v1/ingress";
  private static final String EGRESS = "io.statefun.kafka.v1/egress";

  @Nested
  class Documents {

    @Test
    void shouldRejectUnknownKindNamingTheDocument() {
      ModuleConfigException e =
          error(
              """
              kind: io.statefun.endpoints.v2/http
              spec: {functions: a/*, urlPathTemplate: 'http://a:1/'}
              ---
              kind: com.example/thing
              spec: {}
              """);

      assertThat(e)
          .hasMessage(
              "Invalid module configuration in bad.yaml, document 2, kind com.example/thing: kind:"
                  + " unknown kind 'com.example/thing'; supported kinds:"
                  + " io.statefun.endpoints.v2/http, io.statefun.endpoints.v1/http,"
                  + " io.statefun.kafka.v1/ingress, io.statefun.kafka.v1/egress");
      assertThat(e.document()).contains("bad.yaml");
      assertThat(e.documentIndex()).hasValue(2);
      assertThat(e.keyPath()).contains("kind");
    }

    @Test
    void shouldRejectKinesisAsUnsupported() {
      assertThat(error("kind: io.statefun.kinesis.v1/ingress\nspec: {}\n"))
          .hasMessageContaining(
              "kind 'io.statefun.kinesis.v1/ingress' (AWS Kinesis) is not supported by kstatefun");
    }

    @Test
    void shouldRejectKindThatIsNotATypeName() {
      assertThat(error("kind: http\nspec: {}\n"))
          .hasMessageContaining(
              "document 1: kind: invalid value 'http'; expected a component kind of the form"
                  + " <namespace>/<name>");
    }

    @Test
    void shouldRejectDocumentWithoutKind() {
      assertThat(error("spec: {}\n"))
          .hasMessageContaining(
              "document 1: kind: missing required key; expected a component kind");
    }

    @Test
    void shouldRejectDocumentWithoutSpec() {
      assertThat(error("kind: io.statefun.kafka.v1/egress\n"))
          .hasMessageContaining(
              "document 1: spec: missing required key; expected the component's spec map");
    }

    @Test
    void shouldRejectDocumentThatIsNotAMap() {
      assertThat(error("- kind: io.statefun.kafka.v1/egress\n"))
          .hasMessageContaining(
              "document 1: invalid value [{\"kind\":\"io.statefun.kafka.v1/egress\"}]; expected a"
                  + " map with keys kind, spec");
    }

    @Test
    void shouldRejectUnknownTopLevelKey() {
      assertThat(error("kind: io.statefun.kafka.v1/egress\nmeta: {}\nspec: {id: a/b}\n"))
          .hasMessageContaining(
              "document 1: meta: unknown key 'meta'; expected one of: kind, spec");
    }

    @Test
    void shouldReportYamlSyntaxErrorsWithLine() {
      ModuleConfigException e = error("kind: io.statefun.kafka.v1/egress\nspec:\n  id: [a/b\n");

      assertThat(e).hasMessageContaining("bad.yaml, document 1: YAML syntax error at line 3");
      assertThat(e.getCause()).isNotNull();
    }

    @Test
    void shouldRejectDuplicateKeys() {
      assertThat(error("kind: io.statefun.kafka.v1/egress\nspec:\n  id: a/b\n  id: a/c\n"))
          .hasMessageContaining("YAML syntax error at line 4")
          .hasMessageContaining("Duplicate field 'id'");
    }

    @Test
    void shouldRejectNullValueOfOptionalKey() {
      assertThat(error("kind: io.statefun.kafka.v1/egress\nspec:\n  id: a/b\n  address: ~\n"))
          .hasMessageContaining(
              "kind io.statefun.kafka.v1/egress: spec.address: invalid value null (no value);"
                  + " expected Kafka bootstrap servers (host:port)");
      assertThat(error("kind: io.statefun.kafka.v1/egress\nspec:\n  id: a/b\n  address:\n"))
          .hasMessageContaining(
              "spec.address: invalid value '' (it is empty); expected Kafka bootstrap servers"
                  + " (host:port)");
    }

    @Test
    void shouldReportUnreadableFile() {
      ModuleConfigException e =
          catchThrowableOfType(
              ModuleConfigException.class,
              () -> ModuleParser.parse(Path.of("does-not-exist", "module.yaml")));

      assertThat(e)
          .hasMessageContaining("module.yaml")
          .hasMessageContaining("cannot read the module file");
    }
  }

  @Nested
  class Endpoints {

    @Test
    void shouldRejectAnEndpointForTheReservedApiNamespace() {
      for (String functions : List.of("kstatefun.api/*", "kstatefun.api/call-1")) {
        ModuleConfigException e =
            error(
                "kind: io.statefun.endpoints.v2/http\nspec: {functions: '"
                    + functions
                    + "', urlPathTemplate: 'http://a:1/'}\n");

        assertThat(e)
            .hasMessageContaining("spec.functions")
            .hasMessageContaining("the namespace 'kstatefun.api' is reserved");
      }
    }

    @Test
    void shouldRejectUnknownKeyAndSuggestTheClosest() {
      ModuleConfigException e = endpointError("urlPathTemplat: http://a:1/\n");

      assertThat(e)
          .hasMessageContaining(
              "kind io.statefun.endpoints.v2/http: spec.urlPathTemplat: unknown key"
                  + " 'urlPathTemplat'; expected one of: functions, urlPathTemplate,"
                  + " maxNumBatchRequests, transport, onFailure, headers, maxInFlight (did you mean"
                  + " 'urlPathTemplate'?)");
      assertThat(e.kind()).contains(ENDPOINT_V2);
      assertThat(e.keyPath()).contains("spec.urlPathTemplat");
    }

    @Test
    void shouldRejectUnknownTransportKey() {
      assertThat(endpointError(url() + "transport: {cal: 2m}\n"))
          .hasMessageContaining(
              "spec.transport.cal: unknown key 'cal'; expected one of: type, call, connect,")
          .hasMessageContaining("(did you mean 'call'?)");
    }

    @Test
    void shouldRejectMissingUrlPathTemplate() {
      assertThat(endpointError(""))
          .hasMessageContaining(
              "spec.urlPathTemplate: missing required key; expected an http:// or https:// URL,"
                  + " optionally containing {function.name}");
    }

    @Test
    void shouldRejectMissingFunctions() {
      assertThat(error(kind(ENDPOINT_V2) + "spec:\n  urlPathTemplate: http://a:1/\n"))
          .hasMessageContaining(
              "spec.functions: missing required key; expected <namespace>/<name> or <namespace>/*");
    }

    @Test
    void shouldRejectPartialWildcards() {
      assertThat(error(endpointWith("com.example/gr*", "http://a:1/")))
          .hasMessageContaining(
              "spec.functions: invalid value 'com.example/gr*' (only <namespace>/<name> or"
                  + " <namespace>/* are supported; '*' may only be the whole name)");
      assertThat(error(endpointWith("*/greeter", "http://a:1/")))
          .hasMessageContaining("spec.functions: invalid value '*/greeter'");
      assertThat(error(endpointWith("greeter", "http://a:1/")))
          .hasMessageContaining(
              "spec.functions: invalid value 'greeter' (Invalid function type 'greeter': expected"
                  + " <namespace>/<name> with exactly one '/')");
    }

    @Test
    void shouldRejectBadDurationNamingValueAndFormat() {
      ModuleConfigException e = endpointError(url() + "transport:\n  call: 2 parsecs\n");

      assertThat(e)
          .hasMessageContaining(
              "kind io.statefun.endpoints.v2/http: spec.transport.call: invalid value '2 parsecs'"
                  + " (unknown time unit 'parsecs'; known units: d, day, days, h,")
          .hasMessageContaining(
              "expected a duration such as 500ms, 15s, 2m, 1 min, 2 minutes or 1h");
      assertThat(e.keyPath()).contains("spec.transport.call");
    }

    @Test
    void shouldRejectZeroCallBudget() {
      assertThat(endpointError(url() + "transport: {call: 0s}\n"))
          .hasMessageContaining(
              "spec.transport.call: invalid value '0s'; expected a duration larger than zero");
    }

    @Test
    void shouldRejectBadPoolSizeAndPayloadLimit() {
      assertThat(endpointError(url() + "transport: {pool_size: -1}\n"))
          .hasMessageContaining(
              "spec.transport.pool_size: invalid value -1; expected an integer between 1 and"
                  + " 2147483647");
      assertThat(endpointError(url() + "transport: {payload_max_bytes: big}\n"))
          .hasMessageContaining(
              "spec.transport.payload_max_bytes: invalid value 'big'; expected an integer between 1"
                  + " and 2147483647");
      assertThat(endpointError(url() + "transport: {payload_max_bytes: 4294967296}\n"))
          .hasMessageContaining(
              "spec.transport.payload_max_bytes: invalid value 4294967296; expected an integer"
                  + " between 1 and 2147483647");
    }

    @Test
    void shouldRejectUnknownTransportType() {
      assertThat(endpointError(url() + "transport: {type: io.statefun.transports.v1/grpc}\n"))
          .hasMessageContaining(
              "spec.transport.type: invalid value 'io.statefun.transports.v1/grpc'; expected one of"
                  + " io.statefun.transports.v1/async, io.statefun.transports.v1/okhttp");
    }

    @Test
    void shouldRejectCallBudgetSetTwice() {
      assertThat(endpointError(url() + "transport:\n  call: 2m\n  timeouts: {call: 1m}\n"))
          .hasMessageContaining(
              "spec.transport.timeouts.call: conflicts with spec.transport.call; set the call"
                  + " timeout in one place only");
    }

    @Test
    void shouldRejectOkHttpTimeoutLargerThanCall() {
      assertThat(
              endpointError(
                  url()
                      + "transport:\n  type: io.statefun.transports.v1/okhttp\n"
                      + "  timeouts: {call: 10s, read: 20s}\n"))
          .hasMessageContaining(
              "spec.transport.timeouts.read: invalid value '20s'; expected a duration not larger"
                  + " than the call timeout (PT10S)");
    }

    @Test
    void shouldRejectTransportInV1Endpoint() {
      assertThat(
              error(
                  kind("io.statefun.endpoints.v1/http")
                      + "spec:\n"
                      + "  functions: a/*\n"
                      + "  urlPathTemplate: http://a:1/\n"
                      + "  transport: {}\n"))
          .hasMessageContaining(
              "kind io.statefun.endpoints.v1/http: spec.transport: unknown key 'transport';"
                  + " expected one of: functions, urlPathTemplate, maxNumBatchRequests, timeouts,");
    }

    @Test
    void shouldRejectUnknownV1TimeoutKey() {
      assertThat(
              error(
                  kind("io.statefun.endpoints.v1/http")
                      + "spec:\n"
                      + "  functions: a/*\n"
                      + "  urlPathTemplate: http://a:1/\n"
                      + "  timeouts: {idle: 1s}\n"))
          .hasMessageContaining(
              "spec.timeouts.idle: unknown key 'idle'; expected one of: call, connect, read,"
                  + " write");
    }

    @Test
    void shouldRejectBadUrls() {
      assertThat(error(endpointWith("a/*", "ftp://a:1/{function.name}")))
          .hasMessageContaining(
              "spec.urlPathTemplate: invalid value 'ftp://a:1/{function.name}' (the scheme must be"
                  + " http or https)");
      assertThat(error(endpointWith("a/*", "http+unix:///uds.sock/{function.name}")))
          .hasMessageContaining("(UNIX domain sockets are not supported by kstatefun)");
      assertThat(error(endpointWith("a/*", "functions:8000/{function.name}")))
          .hasMessageContaining("(the scheme must be http or https)");
      assertThat(error(endpointWith("a/*", "http:///{function.name}")))
          .hasMessageContaining("(the URL has no host)");
      assertThat(error(endpointWith("a/*", "http://a:1/{function.namespace}")))
          .hasMessageContaining(
              "invalid value 'http://a:1/{function.namespace}' (not a valid URL: Illegal character"
                  + " in path)");
    }

    @Test
    void shouldRejectBadMaxNumBatchRequests() {
      assertThat(endpointError(url() + "maxNumBatchRequests: 0\n"))
          .hasMessageContaining(
              "spec.maxNumBatchRequests: invalid value 0; expected an integer between 1 and"
                  + " 2147483647");
      assertThat(endpointError(url() + "maxNumBatchRequests: 1.5\n"))
          .hasMessageContaining(
              "spec.maxNumBatchRequests: invalid value 1.5; expected an integer between 1 and"
                  + " 2147483647");
    }

    @Test
    void shouldRejectBadExtensionValues() {
      assertThat(endpointError(url() + "onFailure: crash\n"))
          .hasMessageContaining(
              "spec.onFailure: invalid value 'crash'; expected one of dead-letter, retry-forever");
      assertThat(endpointError(url() + "maxInFlight: 0\n"))
          .hasMessageContaining(
              "spec.maxInFlight: invalid value 0; expected an integer between 1 and 2147483647");
    }

    @Test
    void shouldRejectBadHeaders() {
      assertThat(endpointError(url() + "headers: {Bad Header: {value: x}}\n"))
          .hasMessageContaining(
              "spec.headers.Bad Header: 'Bad Header' is not a valid HTTP header name");
      assertThat(endpointError(url() + "headers: {content-type: {value: text/plain}}\n"))
          .hasMessageContaining(
              "spec.headers.content-type: header 'content-type' is set by the runtime and cannot be"
                  + " configured");
      assertThat(endpointError(url() + "headers: {X-A: {env: A, file: /a}}\n"))
          .hasMessageContaining(
              "spec.headers.X-A: invalid header source; expected exactly one of {env: VARIABLE},"
                  + " {file: path} or {value: literal}");
      assertThat(endpointError(url() + "headers: {X-A: token}\n"))
          .hasMessageContaining("spec.headers.X-A: invalid header source");
      assertThat(endpointError(url() + "headers: {X-A: {secret: s}}\n"))
          .hasMessageContaining(
              "spec.headers.X-A.secret: unknown key 'secret'; expected one of: env, file, value");
      assertThat(endpointError(url() + "headers: {X-A: {env: A}, x-a: {env: B}}\n"))
          .hasMessageContaining(
              "spec.headers.x-a: header 'x-a' is already configured as 'X-A' (header names are"
                  + " case-insensitive)");
      assertThat(endpointError(url() + "headers: [Authorization]\n"))
          .hasMessageContaining(
              "spec.headers: invalid value [\"Authorization\"]; expected a map of header names");
    }

    @Test
    void shouldNotRevealLiteralHeaderValuesInErrors() {
      ModuleConfigException e =
          endpointError(
              url() + "headers: {Authorization: {value: \"Bearer s3cr3t\\nX-Evil: 1\"}}\n");

      assertThat(e)
          .hasMessageContaining(
              "spec.headers.Authorization.value: invalid header value; it must not contain line"
                  + " breaks")
          .message()
          .doesNotContain("s3cr3t");
    }

    @Test
    void shouldRejectTwoExactBindingsOfOneType() {
      assertThat(
              error(
                  endpointWith("com.example/greeter", "http://a:1/")
                      + "---\n"
                      + endpointWith("com.example/greeter", "http://b:1/")))
          .hasMessage(
              "Invalid module configuration: Conflicting endpoints: 'com.example/greeter' is bound"
                  + " by both bad.yaml, document 1 and bad.yaml, document 2; each function type and"
                  + " each namespace wildcard may be bound only once");
    }

    @Test
    void shouldRejectTwoWildcardsOfOneNamespaceAcrossFiles() {
      ModuleConfigException e =
          catchThrowableOfType(
              ModuleConfigException.class,
              () ->
                  ModuleParser.parseAll(
                      List.of(
                          ModuleParserTest.resource("multi-document.yaml"),
                          ModuleParserTest.resource("conflicting-endpoints.yaml"))));

      assertThat(e)
          .hasMessageContaining("'com.example.fns/*' is bound by both")
          .hasMessageContaining("multi-document.yaml, document 1 and ")
          .hasMessageContaining("conflicting-endpoints.yaml, document 1");
    }
  }

  @Nested
  class Ingresses {

    @Test
    void shouldRejectMissingOrBadId() {
      assertThat(
              error(
                  kind(INGRESS)
                      + "spec:\n  topics: [{topic: t, valueType: a/v, targets: [a/f]}]\n"))
          .hasMessageContaining(
              "kind io.statefun.kafka.v1/ingress: spec.id: missing required key; expected an"
                  + " ingress id <namespace>/<name>");
      assertThat(ingressError("id: users", topics()))
          .hasMessageContaining(
              "spec.id: invalid value 'users'; expected an ingress id of the form"
                  + " <namespace>/<name> with exactly one '/'");
    }

    @Test
    void shouldRejectMissingOrEmptyTopics() {
      assertThat(ingressError("id: a/in", ""))
          .hasMessageContaining(
              "spec.topics: missing required key; expected a non-empty list of topics");
      assertThat(ingressError("id: a/in", "topics: []"))
          .hasMessageContaining(
              "spec.topics: invalid value [] (the list is empty); expected a non-empty list of"
                  + " {topic, valueType, targets} entries");
    }

    @Test
    void shouldRejectTopicWithoutValueType() {
      assertThat(ingressError("id: a/in", "topics: [{topic: t, targets: [a/f]}]"))
          .hasMessageContaining(
              "spec.topics[0].valueType: missing required key; expected the type name of the record"
                  + " values, e.g. com.example/User");
    }

    @Test
    void shouldRejectValueTypeWithoutExactlyOneSlash() {
      assertThat(ingressError("id: a/in", "topics: [{topic: t, valueType: User, targets: [a/f]}]"))
          .hasMessageContaining(
              "spec.topics[0].valueType: invalid value 'User'; expected a value type of the form"
                  + " <namespace>/<name> with exactly one '/'");
      assertThat(ingressError("id: a/in", "topics: [{topic: t, valueType: a/b/c, targets: [a/f]}]"))
          .hasMessageContaining("spec.topics[0].valueType: invalid value 'a/b/c'");
    }

    @Test
    void shouldRejectEmptyWildcardOrDuplicateTargets() {
      assertThat(ingressError("id: a/in", "topics: [{topic: t, valueType: a/v, targets: []}]"))
          .hasMessageContaining(
              "spec.topics[0].targets: invalid value [] (the list is empty); expected a non-empty"
                  + " list of function types");
      assertThat(ingressError("id: a/in", "topics: [{topic: t, valueType: a/v, targets: [a/*]}]"))
          .hasMessageContaining(
              "spec.topics[0].targets[0]: invalid value 'a/*' (wildcards are not allowed here)");
      assertThat(
              ingressError(
                  "id: a/in", "topics: [{topic: t, valueType: a/v, targets: [a/f, a/g, a/f]}]"))
          .hasMessageContaining(
              "spec.topics[0].targets[2]: duplicate target a/f; list each function type once");
    }

    @Test
    void shouldRejectDuplicateOrInvalidTopic() {
      assertThat(
              ingressError(
                  "id: a/in",
                  "topics:\n"
                      + "  - {topic: t, valueType: a/v, targets: [a/f]}\n"
                      + "  - {topic: t, valueType: a/w, targets: [a/g]}"))
          .hasMessageContaining(
              "spec.topics[1].topic: topic 't' is already declared at spec.topics[0].topic; list"
                  + " each topic once per ingress");
      assertThat(
              ingressError(
                  "id: a/in", "topics: [{topic: 'bad topic!', valueType: a/v, targets: [a/f]}]"))
          .hasMessageContaining(
              "spec.topics[0].topic: invalid value 'bad topic!'; expected a Kafka topic name");
    }

    @Test
    void shouldRejectUnknownKeyInTopicEntry() {
      assertThat(
              ingressError(
                  "id: a/in", "topics: [{topic: t, valueType: a/v, targets: [a/f], target: a/g}]"))
          .hasMessageContaining(
              "spec.topics[0].target: unknown key 'target'; expected one of: topic, valueType,"
                  + " targets, forwardHeaders (did you mean 'targets'?)");
    }

    @Test
    void shouldRejectBadStartupPositions() {
      assertThat(ingressError("id: a/in", topics() + "\nstartupPosition: {type: beginning}"))
          .hasMessageContaining(
              "spec.startupPosition.type: invalid value 'beginning'; expected one of earliest,"
                  + " latest, group-offsets, specific-offsets, date");
      assertThat(ingressError("id: a/in", topics() + "\nstartupPosition: {}"))
          .hasMessageContaining("spec.startupPosition.type: missing required key");
      assertThat(ingressError("id: a/in", topics() + "\nstartupPosition: {type: specific-offsets}"))
          .hasMessageContaining(
              "spec.startupPosition.offsets: missing required key; expected a list of single-entry"
                  + " maps '- <topic>/<partition>: <offset>'");
      assertThat(
              ingressError(
                  "id: a/in",
                  topics() + "\nstartupPosition: {type: specific-offsets, offsets: [{t: 5}]}"))
          .hasMessageContaining(
              "spec.startupPosition.offsets[0].t: invalid partition 't'; expected"
                  + " <topic>/<partition>, e.g. orders/0");
      assertThat(
              ingressError(
                  "id: a/in",
                  topics() + "\nstartupPosition: {type: specific-offsets, offsets: [{t/0: -5}]}"))
          .hasMessageContaining(
              "spec.startupPosition.offsets[0].t/0: invalid value -5; expected an integer >= 0");
      assertThat(
              ingressError(
                  "id: a/in",
                  topics() + "\nstartupPosition: {type: earliest, offsets: [{t/0: 5}]}"))
          .hasMessageContaining(
              "spec.startupPosition.offsets: only allowed with type: specific-offsets, but type is"
                  + " earliest");
      assertThat(
              ingressError(
                  "id: a/in", topics() + "\nstartupPosition: {type: date, date: yesterday}"))
          .hasMessageContaining(
              "spec.startupPosition.date: invalid value 'yesterday'; expected a date such as"
                  + " '2020-02-01 04:15:00.000 +0000'");
      assertThat(
              ingressError(
                  "id: a/in",
                  topics() + "\nstartupPosition: {type: latest, date: '2020-02-01T04:15:00Z'}"))
          .hasMessageContaining(
              "spec.startupPosition.date: only allowed with type: date, but type is latest");
    }

    @Test
    void shouldRejectBadAutoOffsetResetPosition() {
      assertThat(ingressError("id: a/in", topics() + "\nautoOffsetResetPosition: none"))
          .hasMessageContaining(
              "spec.autoOffsetResetPosition: invalid value 'none'; expected one of earliest,"
                  + " latest");
    }

    @Test
    void shouldRejectBadProperties() {
      assertThat(ingressError("id: a/in", topics() + "\nproperties: [{a: {b: c}}]"))
          .hasMessageContaining(
              "spec.properties[0].a: invalid value {\"b\":\"c\"}; expected a scalar property"
                  + " value");
      assertThat(ingressError("id: a/in", topics() + "\nproperties: [{a: 1}, {a: 2}]"))
          .hasMessageContaining(
              "spec.properties[1].a: duplicate property 'a'; set each property once");
      assertThat(ingressError("id: a/in", topics() + "\nproperties: max.poll.records=5"))
          .hasMessageContaining(
              "spec.properties: invalid value 'max.poll.records=5'; expected a list of single-entry"
                  + " maps (- key: value) or a map of Kafka properties");
      assertThat(ingressError("id: a/in", topics() + "\nproperties: [max.poll.records]"))
          .hasMessageContaining(
              "spec.properties[0]: invalid value 'max.poll.records'; expected a single-entry map");
    }

    @Test
    void shouldRejectInconsistentDeadLetterSettings() {
      assertThat(ingressError("id: a/in", topics() + "\ndeadLetterTopic: dlq\nonError: skip"))
          .hasMessageContaining(
              "spec.deadLetterTopic: only allowed with onError: dead-letter, but onError is skip");
      assertThat(ingressError("id: a/in", topics() + "\ndeadLetterTopic: t"))
          .hasMessageContaining(
              "spec.deadLetterTopic: invalid value 't' (it is one of its own topics); expected a"
                  + " topic that is not read by this ingress");
      assertThat(ingressError("id: a/in", topics() + "\nonError: ignore"))
          .hasMessageContaining(
              "spec.onError: invalid value 'ignore'; expected one of dead-letter, skip, fail");
      assertThat(ingressError("id: a/in", topics() + "\nmaxRecordBytes: 0"))
          .hasMessageContaining(
              "spec.maxRecordBytes: invalid value 0; expected an integer between 1 and 2147483647");
    }

    @Test
    void shouldRejectDuplicateIngressIds() {
      String ingress = kind(INGRESS) + "spec:\n  id: a/in\n  " + topics() + "\n";
      assertThat(error(ingress + "---\n" + ingress))
          .hasMessage(
              "Invalid module configuration: Duplicate ingress id a/in: declared by both bad.yaml,"
                  + " document 1 and bad.yaml, document 2");
    }
  }

  @Nested
  class Egresses {

    @Test
    void shouldRequireTransactionTimeoutForExactlyOnce() {
      assertThat(egressError("deliverySemantic: {type: exactly-once}"))
          .hasMessageContaining(
              "kind io.statefun.kafka.v1/egress: spec.deliverySemantic.transactionTimeout: missing"
                  + " required key; expected a duration such as 15min (required for exactly-once)");
    }

    @Test
    void shouldRejectBothTransactionTimeoutForms() {
      assertThat(
              egressError(
                  "deliverySemantic: {type: exactly-once, transactionTimeout: 1min,"
                      + " transactionTimeoutMillis: 60000}"))
          .hasMessageContaining(
              "spec.deliverySemantic.transactionTimeoutMillis: conflicts with"
                  + " spec.deliverySemantic.transactionTimeout; set only transactionTimeout");
    }

    @Test
    void shouldRejectNonNumericTransactionTimeoutMillis() {
      assertThat(
              egressError(
                  "deliverySemantic: {type: exactly-once, transactionTimeoutMillis: 15min}"))
          .hasMessageContaining(
              "spec.deliverySemantic.transactionTimeoutMillis: invalid value '15min'; expected an"
                  + " integer between 1 and 2147483647");
    }

    @Test
    void shouldRejectUnknownDeliverySemantic() {
      assertThat(egressError("deliverySemantic: {type: at-most-once}"))
          .hasMessageContaining(
              "spec.deliverySemantic.type: invalid value 'at-most-once'; expected one of"
                  + " exactly-once, at-least-once, none");
    }

    @Test
    void shouldRejectMissingId() {
      assertThat(error(kind(EGRESS) + "spec:\n  address: k:9092\n"))
          .hasMessageContaining(
              "spec.id: missing required key; expected an egress id <namespace>/<name>");
    }

    @Test
    void shouldRejectDuplicateEgressIds() {
      String egress = kind(EGRESS) + "spec:\n  id: a/out\n";
      assertThat(error(egress + "---\n" + egress))
          .hasMessageContaining(
              "Duplicate egress id a/out: declared by both bad.yaml, document 1 and bad.yaml,"
                  + " document 2");
    }
  }

  @Nested
  class LegacyFormat {

    @Test
    void shouldRejectRetiredVersions() {
      assertThat(error("version: \"2.0\"\nmodule: {}\n"))
          .hasMessageContaining(
              "bad.yaml, document 1: version: invalid value '2.0' (format version 2.0 is no longer"
                  + " supported); expected \"3.0\" or the multi-document format");
      assertThat(error("version: \"3.1\"\nmodule: {}\n"))
          .hasMessageContaining(
              "version: invalid value '3.1'; expected \"3.0\" or the multi-document format");
    }

    @Test
    void shouldRejectNonRemoteModuleType() {
      assertThat(error("version: \"3.0\"\nmodule:\n  meta: {type: embedded}\n  spec: {}\n"))
          .hasMessageContaining(
              "module.meta.type: invalid value 'embedded'; expected remote (the only module type)");
    }

    @Test
    void shouldRejectUnsupportedLegacyIngressKindWithItsPath() {
      ModuleConfigException e =
          error(
              """
              version: "3.0"
              module:
                meta: {type: remote}
                spec:
                  ingresses:
                    - ingress:
                        meta: {type: statefun.kafka.io/protobuf-ingress, id: a/in}
                        spec: {}
              """);

      assertThat(e)
          .hasMessageContaining(
              "module.spec.ingresses[0].ingress.meta.type: unknown kind"
                  + " 'statefun.kafka.io/protobuf-ingress'");
    }

    @Test
    void shouldRejectIdInsideLegacySpec() {
      assertThat(
              error(
                  """
                  version: "3.0"
                  module:
                    meta: {type: remote}
                    spec:
                      egresses:
                        - egress:
                            meta: {type: io.statefun.kafka/egress, id: a/out}
                            spec: {id: a/other}
                  """))
          .hasMessageContaining(
              "kind io.statefun.kafka.v1/egress: module.spec.egresses[0].egress.spec.id: unknown"
                  + " key 'id'; expected one of: address, deliverySemantic, properties");
    }

    @Test
    void shouldReportLegacyEndpointErrorsWithFullPath() {
      assertThat(
              error(
                  """
                  version: "3.0"
                  module:
                    meta: {type: remote}
                    spec:
                      endpoints:
                        - endpoint:
                            meta: {kind: http}
                            spec:
                              functions: a/*
                              urlPathTemplate: http://a:1/
                              timeouts: {call: forever}
                  """))
          .hasMessageContaining(
              "kind io.statefun.endpoints.v1/http:"
                  + " module.spec.endpoints[0].endpoint.spec.timeouts.call: invalid value"
                  + " 'forever'");
    }

    @Test
    void shouldRejectVersionInMultiDocumentFile() {
      assertThat(
              error("version: \"3.0\"\n---\nkind: io.statefun.kafka.v1/egress\nspec: {id: a/b}\n"))
          .hasMessageContaining(
              "document 1: version: the legacy format (version: \"3.0\") must be the only document"
                  + " of its file");
    }
  }

  private static ModuleConfigException error(String yaml) {
    ModuleConfigException e =
        catchThrowableOfType(
            ModuleConfigException.class, () -> ModuleParser.parse(yaml, "bad.yaml"));
    assertThat(e).as("expected a ModuleConfigException for:%n%s", yaml).isNotNull();
    return e;
  }

  private static String kind(String kind) {
    return "kind: " + kind + "\n";
  }

  private static String url() {
    return "urlPathTemplate: http://a:1/{function.name}\n";
  }

  private static String topics() {
    return "topics: [{topic: t, valueType: a/v, targets: [a/f]}]";
  }

  private static String endpointWith(String functions, String url) {
    return kind(ENDPOINT_V2)
        + "spec:\n  functions: '"
        + functions
        + "'\n  urlPathTemplate: '"
        + url
        + "'\n";
  }

  private static ModuleConfigException endpointError(String specLines) {
    return error(kind(ENDPOINT_V2) + "spec:\n  functions: a/*\n" + specLines.indent(2));
  }

  private static ModuleConfigException ingressError(String idLine, String specLines) {
    return error(kind(INGRESS) + "spec:\n" + (idLine + "\n" + specLines).indent(2));
  }

  private static ModuleConfigException egressError(String specLines) {
    return error(kind(EGRESS) + "spec:\n  id: a/out\n" + specLines.indent(2));
  }
}
