package io.kstatefun.sdk.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.protocol.types.BooleanWrapper;
import io.kstatefun.protocol.types.DoubleWrapper;
import io.kstatefun.protocol.types.FloatWrapper;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.LongWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One protocol conformance case, read from {@code src/test/resources/conformance/*.json}; see the
 * README there for the format. Shorthands are expanded with the protocol module's generated
 * classes, independently of either SDK.
 */
record ConformanceCase(
    String name,
    String description,
    byte[] request,
    FromFunction expected,
    String expectedErrorKind,
    List<String> expectedErrorMentions) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DIRECTORY = "/conformance";

  static Stream<ConformanceCase> all() {
    try {
      Path dir = Path.of(ConformanceCase.class.getResource(DIRECTORY).toURI());
      List<Path> files;
      try (Stream<Path> listing = Files.list(dir)) {
        files = listing.filter(p -> p.toString().endsWith(".json")).sorted().toList();
      }
      return files.stream().map(ConformanceCase::load);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ConformanceCase load(Path file) {
    String name = file.getFileName().toString().replaceFirst("\\.json$", "");
    try {
      JsonNode root = JSON.readTree(file.toFile());
      String description = root.path("description").asText();
      byte[] request;
      if (root.has("requestBase64")) {
        request = Base64.getDecoder().decode(root.get("requestBase64").asText());
      } else {
        ToFunction.Builder builder = ToFunction.newBuilder();
        JsonFormat.parser().merge(JSON.writeValueAsString(expand(root.get("request"))), builder);
        request = builder.build().toByteArray();
      }
      FromFunction expected = null;
      if (root.has("expected")) {
        FromFunction.Builder builder = FromFunction.newBuilder();
        JsonFormat.parser().merge(JSON.writeValueAsString(expand(root.get("expected"))), builder);
        expected = builder.build();
      }
      String errorKind = null;
      List<String> mentions = new ArrayList<>();
      if (root.has("expectedError")) {
        JsonNode error = root.get("expectedError");
        errorKind = error.get("kind").asText();
        error.path("messageMentions").forEach(m -> mentions.add(m.asText()));
      }
      if ((expected == null) == (errorKind == null)) {
        throw new IllegalArgumentException(
            "A case needs exactly one of 'expected' and 'expectedError'");
      }
      return new ConformanceCase(name, description, request, expected, errorKind, mentions);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("Invalid conformance case " + file + ": " + e, e);
    }
  }

  boolean expectsError() {
    return expectedErrorKind != null;
  }

  @Override
  public String toString() {
    return name;
  }

  /** Replaces shorthand objects (a single key starting with '$') with protobuf JSON. */
  static JsonNode expand(JsonNode node) throws InvalidProtocolBufferException {
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      for (JsonNode element : node) {
        out.add(expand(element));
      }
      return out;
    }
    if (!node.isObject()) {
      return node;
    }
    if (node.size() == 1) {
      Map.Entry<String, JsonNode> only = node.fields().next();
      if (only.getKey().startsWith("$")) {
        return shorthand(only.getKey(), only.getValue());
      }
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      out.set(field.getKey(), expand(field.getValue()));
    }
    return out;
  }

  private static JsonNode shorthand(String key, JsonNode value)
      throws InvalidProtocolBufferException {
    switch (key) {
      case "$address":
        {
          String[] parts = value.asText().split("/", -1);
          if (parts.length != 3) {
            throw new IllegalArgumentException("$address needs ns/type/id, got " + value);
          }
          ObjectNode address = JsonNodeFactory.instance.objectNode();
          address.put("namespace", parts[0]).put("type", parts[1]).put("id", parts[2]);
          return address;
        }
      case "$int":
        return typed(
            "int", IntWrapper.newBuilder().setValue(value.intValue()).build().toByteString());
      case "$long":
        return typed(
            "long", LongWrapper.newBuilder().setValue(value.longValue()).build().toByteString());
      case "$bool":
        return typed(
            "bool",
            BooleanWrapper.newBuilder().setValue(value.booleanValue()).build().toByteString());
      case "$float":
        return typed(
            "float", FloatWrapper.newBuilder().setValue(value.floatValue()).build().toByteString());
      case "$double":
        return typed(
            "double",
            DoubleWrapper.newBuilder().setValue(value.doubleValue()).build().toByteString());
      case "$string":
        return typed(
            "string", StringWrapper.newBuilder().setValue(value.asText()).build().toByteString());
      case "$kafka":
        {
          KafkaProducerRecord record =
              KafkaProducerRecord.newBuilder()
                  .setTopic(value.get("topic").asText())
                  .setKey(value.path("key").asText(""))
                  .setValueBytes(ByteString.copyFromUtf8(value.get("utf8Value").asText()))
                  .build();
          return typedValue(
              "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord",
              record.toByteString());
        }
      default:
        throw new IllegalArgumentException("Unknown shorthand " + key);
    }
  }

  private static JsonNode typed(String builtIn, ByteString bytes)
      throws InvalidProtocolBufferException {
    return typedValue("io.statefun.types/" + builtIn, bytes);
  }

  private static JsonNode typedValue(String typename, ByteString bytes)
      throws InvalidProtocolBufferException {
    TypedValue value =
        TypedValue.newBuilder().setTypename(typename).setHasValue(true).setValue(bytes).build();
    try {
      return JSON.readTree(JsonFormat.printer().print(value).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
