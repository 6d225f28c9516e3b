package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.routing.module.FunctionTarget;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The addresses and ids of HTTP API invocations, shared by the API (which writes requests) and the
 * dispatcher (which answers them).
 *
 * <p>A call to {@code ns/type/id} gets the caller address {@code kstatefun.api/call-<invocation
 * id>/<id>}: the same id as its target, so the runtime's partitioner (a function of the id only)
 * sends a reply to the task that owns the target and holds the invocation record, wherever the
 * reply comes from (the target itself, or a function it handed the caller address to). The
 * invocation id is derived from the target and the idempotency key, so every retry of one call
 * finds the same record.
 *
 * <p>Threading: stateless.
 */
public final class ApiAddresses {

  /** The reserved namespace of the callers of HTTP API calls. */
  public static final String NAMESPACE = FunctionTarget.RESERVED_NAMESPACE;

  private static final String CALL_PREFIX = "call-";

  private ApiAddresses() {}

  /** The caller address of invocation {@code invocationId} of an address with id {@code id}. */
  public static io.kstatefun.protocol.Address caller(String invocationId, String targetId) {
    return io.kstatefun.protocol.Address.newBuilder()
        .setNamespace(NAMESPACE)
        .setType(CALL_PREFIX + invocationId)
        .setId(targetId)
        .build();
  }

  /** Whether {@code address} is in the reserved namespace. */
  public static boolean isReserved(io.kstatefun.protocol.Address address) {
    return NAMESPACE.equals(address.getNamespace());
  }

  /** The invocation id of a caller address of a call, or {@code null} when it is none. */
  public static String invocationOf(io.kstatefun.protocol.Address address) {
    if (!isReserved(address) || !address.getType().startsWith(CALL_PREFIX)) {
      return null;
    }
    String id = address.getType().substring(CALL_PREFIX.length());
    return id.isEmpty() ? null : id;
  }

  /**
   * The invocation id of the call or send to {@code target} with this idempotency key: 32 hex
   * digits of SHA-256 over the target and the key.
   */
  public static String invocationId(Address target, String idempotencyKey) {
    return HexFormat.of()
        .formatHex(
            sha256(
                target.type().namespace()
                    + '\0'
                    + target.type().name()
                    + '\0'
                    + target.id()
                    + '\0'
                    + idempotencyKey),
            0,
            16);
  }

  /** SHA-256 of the message's typename and value: retries must carry the same. */
  public static byte[] bodyHash(String typename, byte[] value) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(typename.getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(value);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The id the API shows for an invocation ({@code KStatefun-Invocation-Id}, {@code
   * /invocations/{id}}): the invocation id and the target's id (base64url), from which any instance
   * finds the owning partition.
   */
  public static String publicId(String invocationId, String targetId) {
    return invocationId
        + "."
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(targetId.getBytes(StandardCharsets.UTF_8));
  }

  /** The caller address a public invocation id stands for, or {@code null} when it is not one. */
  public static io.kstatefun.protocol.Address fromPublicId(String publicId) {
    int dot = publicId.indexOf('.');
    if (dot != 32 || !publicId.substring(0, dot).chars().allMatch(ApiAddresses::isHex)) {
      return null;
    }
    try {
      String id =
          new String(
              Base64.getUrlDecoder().decode(publicId.substring(dot + 1)), StandardCharsets.UTF_8);
      return id.isEmpty() ? null : caller(publicId.substring(0, dot), id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
