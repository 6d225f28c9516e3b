package io.kstatefun.runtime.internals.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.types.BooleanWrapper;
import io.kstatefun.protocol.types.DoubleWrapper;
import io.kstatefun.protocol.types.FloatWrapper;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.LongWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import io.kstatefun.routing.TypeName;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * How HTTP bodies become messages and replies become HTTP bodies.
 *
 * <ul>
 *   <li>{@code Statefun-Type: ns/name} names the message type; the body is its value as is (the
 *       SDKs' custom types, JSON ones included, are their serialized bytes).
 *   <li>The built-in types {@code io.statefun.types/string|int|long|bool|float|double} are protobuf
 *       wrappers on the wire (what the SDKs decode). A body sent with one of them and a text
 *       content type ({@code text/plain}, or none) is the value as text and is wrapped; with {@code
 *       application/x-protobuf} or {@code application/octet-stream} it is taken as the wrapper's
 *       bytes.
 *   <li>Without {@code Statefun-Type}, {@code Content-Type: text/plain} means {@code
 *       io.statefun.types/string}. Any other body needs the header: kstatefun does not guess a
 *       typename for JSON (the SDKs' JSON types are user typenames such as {@code
 *       com.example/Order}).
 *   <li>A reply of a built-in type is unwrapped to text ({@code text/plain}); any other reply is
 *       its raw bytes ({@code application/octet-stream}). Both carry {@code Statefun-Type}.
 * </ul>
 *
 * <p>Threading: stateless.
 */
final class ApiMessages {

  static final String STRING = "io.statefun.types/string";
  static final String INT = "io.statefun.types/int";
  static final String LONG = "io.statefun.types/long";
  static final String BOOL = "io.statefun.types/bool";
  static final String FLOAT = "io.statefun.types/float";
  static final String DOUBLE = "io.statefun.types/double";
  private static final Set<String> BUILT_IN = Set.of(STRING, INT, LONG, BOOL, FLOAT, DOUBLE);

  private ApiMessages() {}

  /** A request body that cannot become a message (answered 400). */
  static final class BadMessageException extends Exception {
    BadMessageException(String message) {
      super(message);
    }
  }

  /**
   * The message for a request body.
   *
   * @param statefunType the {@code Statefun-Type} header, or null
   * @param contentType the {@code Content-Type} header, or null
   */
  static TypedValue toMessage(String statefunType, String contentType, byte[] body)
      throws BadMessageException {
    String media = mediaType(contentType);
    String typename;
    if (statefunType != null && !statefunType.isBlank()) {
      typename = statefunType.trim();
      try {
        TypeName.parse(typename);
      } catch (IllegalArgumentException e) {
        throw new BadMessageException(
            "Statefun-Type '"
                + typename
                + "' is not a typename <namespace>/<name>: "
                + e.getMessage());
      }
    } else if ("text/plain".equals(media)) {
      typename = STRING;
    } else {
      throw new BadMessageException(
          "the message type is unknown: send a Statefun-Type header naming it (e.g."
              + " Statefun-Type: com.example/Order for a JSON body), or Content-Type: text/plain for"
              + " io.statefun.types/string");
    }
    byte[] value = body;
    if (BUILT_IN.contains(typename)
        && !"application/x-protobuf".equals(media)
        && !"application/octet-stream".equals(media)) {
      value = wrap(typename, text(body));
    }
    return TypedValue.newBuilder()
        .setTypename(typename)
        .setHasValue(true)
        .setValue(ByteString.copyFrom(value))
        .build();
  }

  /** A reply as an HTTP body: its content type and bytes. */
  record Body(String contentType, byte[] bytes) {}

  /** The HTTP body of a reply. */
  static Body toBody(TypedValue reply) {
    if (BUILT_IN.contains(reply.getTypename())) {
      try {
        return new Body(
            "text/plain; charset=utf-8",
            unwrap(reply.getTypename(), reply.getValue()).getBytes(StandardCharsets.UTF_8));
      } catch (InvalidProtocolBufferException e) {
        // not a wrapper after all: give the bytes as they are
      }
    }
    return new Body("application/octet-stream", reply.getValue().toByteArray());
  }

  /** The protobuf wrapper of a built-in type for its text form. */
  static byte[] wrap(String typename, String text) throws BadMessageException {
    String t = text.trim();
    try {
      return switch (typename) {
        case STRING -> StringWrapper.newBuilder().setValue(text).build().toByteArray();
        case INT -> IntWrapper.newBuilder().setValue(Integer.parseInt(t)).build().toByteArray();
        case LONG -> LongWrapper.newBuilder().setValue(Long.parseLong(t)).build().toByteArray();
        case FLOAT -> FloatWrapper.newBuilder().setValue(Float.parseFloat(t)).build().toByteArray();
        case DOUBLE ->
            DoubleWrapper.newBuilder().setValue(Double.parseDouble(t)).build().toByteArray();
        case BOOL -> {
          String b = t.toLowerCase(Locale.ROOT);
          if (!b.equals("true") && !b.equals("false")) {
            throw new NumberFormatException("not true or false");
          }
          yield BooleanWrapper.newBuilder().setValue(Boolean.parseBoolean(b)).build().toByteArray();
        }
        default -> throw new IllegalArgumentException(typename);
      };
    } catch (NumberFormatException e) {
      throw new BadMessageException(
          "the body '" + cap(t) + "' is not a value of " + typename + ": " + e.getMessage());
    }
  }

  /** The text form of a built-in type's wrapper. */
  static String unwrap(String typename, ByteString value) throws InvalidProtocolBufferException {
    return switch (typename) {
      case STRING -> StringWrapper.parseFrom(value).getValue();
      case INT -> Integer.toString(IntWrapper.parseFrom(value).getValue());
      case LONG -> Long.toString(LongWrapper.parseFrom(value).getValue());
      case FLOAT -> Float.toString(FloatWrapper.parseFrom(value).getValue());
      case DOUBLE -> Double.toString(DoubleWrapper.parseFrom(value).getValue());
      case BOOL -> Boolean.toString(BooleanWrapper.parseFrom(value).getValue());
      default -> throw new IllegalArgumentException(typename);
    };
  }

  /** The media type of a Content-Type header, lower case, without parameters; null if none. */
  static String mediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return null;
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  private static String text(byte[] body) throws BadMessageException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BadMessageException("the body is not UTF-8 text");
    }
  }

  private static String cap(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
