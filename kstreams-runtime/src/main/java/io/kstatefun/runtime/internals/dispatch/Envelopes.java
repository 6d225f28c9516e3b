package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.protocol.TypedValue;
import io.kstatefun.routing.Address;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.Origin;

/**
 * The edge between the dispatch code and the protocol records. Inside the dispatcher an address is
 * always an {@link Address} ({@code io.kstatefun.routing}); the records it reads and writes ({@link
 * Envelope}, requests, responses, expiry-check timers) carry the protocol's {@code
 * io.kstatefun.protocol.Address}. Every conversion between the two goes through here, and so does
 * the construction of the envelopes a function sends.
 *
 * <p>Threading: stateless; the dispatcher calls it on the task's stream thread.
 */
final class Envelopes {

  private Envelopes() {}

  /** The wire form of {@code address}. */
  static io.kstatefun.protocol.Address toProto(Address address) {
    return address.toProto();
  }

  /**
   * The address a protocol record names.
   *
   * @throws IllegalArgumentException if it is not a valid function address (see {@link
   *     #invalidAddress})
   */
  static Address fromProto(io.kstatefun.protocol.Address address) {
    return Address.fromProto(address);
  }

  /**
   * Why {@code address} is not a valid function address (namespace and type non-empty and free of
   * {@code /}), or {@code null} when it is valid.
   */
  static String invalidAddress(io.kstatefun.protocol.Address address) {
    try {
      Address.fromProto(address);
      return null;
    } catch (IllegalArgumentException e) {
      return "'"
          + address.getNamespace()
          + "/"
          + address.getType()
          + "/"
          + address.getId()
          + "': "
          + e.getMessage();
    }
  }

  /** The target of {@code envelope}, which must be valid. */
  static Address target(Envelope envelope) {
    return fromProto(envelope.getTarget());
  }

  /**
   * The caller of {@code envelope}, which must be set and valid (as it is for delayed messages).
   */
  static Address caller(Envelope envelope) {
    return fromProto(envelope.getCaller());
  }

  /** The caller of {@code envelope}, or {@code null} when it has none or an invalid one. */
  static Address validCallerOrNull(Envelope envelope) {
    return envelope.hasCaller() && invalidAddress(envelope.getCaller()) == null
        ? fromProto(envelope.getCaller())
        : null;
  }

  /**
   * A message that the function at {@code sender} sends to {@code target}, now or delayed, with the
   * origin of the batch that sent it: the one place where the envelopes of a response's messages
   * are built.
   *
   * @param origin where the batch's first message from an ingress entered the system, or {@code
   *     null}
   */
  static Envelope outgoing(
      Address sender, io.kstatefun.protocol.Address target, TypedValue argument, Origin origin) {
    Envelope.Builder b =
        Envelope.newBuilder().setTarget(target).setCaller(toProto(sender)).setArgument(argument);
    if (origin != null) {
      b.setOrigin(origin);
    }
    return b.build();
  }

  /** {@code namespace/type/id} of a protocol address, with the id cut at 100 characters. */
  static String describe(io.kstatefun.protocol.Address address) {
    String id = address.getId();
    return address.getNamespace()
        + "/"
        + address.getType()
        + "/"
        + (id.length() > 100 ? id.substring(0, 100) + "..." : id);
  }
}
