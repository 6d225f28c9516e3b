package io.kstatefun.runtime.internals.api;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kstatefun.protocol.types.BooleanWrapper;
import io.kstatefun.protocol.types.DoubleWrapper;
import io.kstatefun.protocol.types.FloatWrapper;
import io.kstatefun.protocol.types.IntWrapper;
import io.kstatefun.protocol.types.LongWrapper;
import io.kstatefun.protocol.types.StringWrapper;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * JSON views of stored state values. Values of StateFun's built-in types ({@code
 * io.statefun.types/string, int, long, bool, float, double}, each a one-field protobuf wrapper as
 * the SDKs write them) are decoded; every value is also given as base64 bytes. Stateless.
 */
final class StateValues {

  static final String BUILT_IN = "io.statefun.types/";

  private StateValues() {}

  /** {@code {typename, expiresAtMs?, valueBase64, value?}} for one stored value. */
  static JsonObject json(StoredValue v) {
    JsonObject out = new JsonObject().put("typename", v.getTypename());
    if (v.getExpiresAtMs() > 0) {
      out.put("expiresAtMs", v.getExpiresAtMs());
    }
    out.put("valueBase64", Base64.getEncoder().encodeToString(v.getValue().toByteArray()));
    Object decoded = decode(v.getTypename(), v.getValue().toByteArray());
    if (decoded != null) {
      out.put("value", decoded);
    }
    return out;
  }

  /**
   * The value of a built-in type as a JSON value (String, Integer, Long, Boolean, Float, Double),
   * or null for other types and bytes that do not parse.
   */
  static Object decode(String typename, byte[] bytes) {
    if (!typename.startsWith(BUILT_IN)) {
      return null;
    }
    try {
      return switch (typename.substring(BUILT_IN.length())) {
        case "string" -> StringWrapper.parseFrom(bytes).getValue();
        case "int" -> IntWrapper.parseFrom(bytes).getValue();
        case "long" -> LongWrapper.parseFrom(bytes).getValue();
        case "bool" -> BooleanWrapper.parseFrom(bytes).getValue();
        case "float" -> {
          float f = FloatWrapper.parseFrom(bytes).getValue();
          yield Float.isFinite(f) ? f : null; // JSON has no NaN or infinities
        }
        case "double" -> {
          double d = DoubleWrapper.parseFrom(bytes).getValue();
          yield Double.isFinite(d) ? d : null;
        }
        default -> null;
      };
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}
