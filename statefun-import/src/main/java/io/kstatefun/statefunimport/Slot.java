package io.kstatefun.statefunimport;

import java.io.Serializable;

/**
 * The "namespace" the savepoint reader visits a key with: the address's values, or one due time of
 * its delayed messages.
 */
final class Slot implements Serializable {

  private static final long serialVersionUID = 1L;

  static final int ADDRESS = 0;
  static final int DELAYED = 1;
  static final Slot ADDRESS_SLOT = new Slot(ADDRESS, 0);

  final int kind;
  final long dueMs;

  private Slot(int kind, long dueMs) {
    this.kind = kind;
    this.dueMs = dueMs;
  }

  static Slot delayed(long dueMs) {
    return new Slot(DELAYED, dueMs);
  }
}
