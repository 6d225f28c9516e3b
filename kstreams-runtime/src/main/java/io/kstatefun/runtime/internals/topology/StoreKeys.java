package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Byte layouts of the keys in the runtime's state stores. Addresses are encoded as three
 * length-prefixed UTF-8 strings (namespace, type, id), which is prefix-free, so an address plus a
 * big-endian sequence number sorts by address, then sequence.
 *
 * <pre>
 * mailbox store:  0x01 address            -> MailboxHeader
 *                 0x02 address seq(8)     -> Envelope
 * state store:    address                 -> StoredState
 * timer store:    0x00 'c'                -> pending timer count (8 bytes)
 *                 0x00 's'                -> next timer sequence (8 bytes)
 *                 0x01 due(8) seq(8)      -> PendingTimer
 *                 0x02 address token      -> PendingTimer (the token index; tokens are per sender)
 *                 0x00 'i' digest(32)     -> import time (8 bytes): a state file imported (state import)
 * </pre>
 *
 * <p>The runtime reads the timer store's meta keys by exact key only, so the import markers of
 * {@code kstatefun state import} are invisible to it.
 */
public final class StoreKeys {

  public static final byte HEADER = 0x01;
  public static final byte ENTRY = 0x02;
  public static final byte META = 0x00;
  public static final byte TIMER = 0x01;
  public static final byte TOKEN = 0x02;
  public static final byte[] TIMER_COUNT = {META, 'c'};
  public static final byte[] TIMER_SEQ = {META, 's'};
  public static final byte IMPORT_MARKER = 'i';

  private StoreKeys() {}

  public static byte[] address(Address address) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    writeString(out, address.type().namespace());
    writeString(out, address.type().name());
    writeString(out, address.id());
    return out.toByteArray();
  }

  public static Address decodeAddress(byte[] bytes, int offset) {
    ByteBuffer in = ByteBuffer.wrap(bytes, offset, bytes.length - offset);
    String namespace = readString(in);
    String type = readString(in);
    String id = readString(in);
    return new Address(new FunctionType(namespace, type), id);
  }

  public static byte[] header(Address address) {
    return header(address(address));
  }

  /** The mailbox header key of the address encoded as {@code address} (by {@link #address}). */
  public static byte[] header(byte[] address) {
    byte[] key = new byte[1 + address.length];
    key[0] = HEADER;
    System.arraycopy(address, 0, key, 1, address.length);
    return key;
  }

  public static byte[] entry(Address address, long seq) {
    return entry(address(address), seq);
  }

  /** The mailbox entry key of the address encoded as {@code address} (by {@link #address}). */
  public static byte[] entry(byte[] address, long seq) {
    byte[] key = new byte[1 + address.length + 8];
    key[0] = ENTRY;
    System.arraycopy(address, 0, key, 1, address.length);
    for (int i = 0; i < 8; i++) {
      key[key.length - 1 - i] = (byte) (seq >>> (8 * i));
    }
    return key;
  }

  public static byte[] timer(long dueMs, long seq) {
    return ByteBuffer.allocate(17).put(TIMER).putLong(dueMs).putLong(seq).array();
  }

  public static byte[] token(Address sender, String token) {
    byte[] a = address(sender);
    byte[] t = token.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + a.length + t.length).put(TOKEN).put(a).put(t).array();
  }

  /** The key that records that the state file with this SHA-256 {@code digest} was imported. */
  public static byte[] importMarker(byte[] digest) {
    return ByteBuffer.allocate(2 + digest.length).put(META).put(IMPORT_MARKER).put(digest).array();
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int n = b.length;
    while ((n & ~0x7F) != 0) {
      out.write((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.write(b, 0, b.length);
  }

  private static String readString(ByteBuffer in) {
    int n = 0;
    int shift = 0;
    byte b;
    do {
      b = in.get();
      n |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
    in.position(in.position() + n);
    return s;
  }
}
