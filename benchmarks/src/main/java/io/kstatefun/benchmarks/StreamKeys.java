package io.kstatefun.benchmarks;

import io.kstatefun.routing.AddressPartitioner;

/**
 * The ids the benchmark uses and how an egress key maps back to the stream of messages the verifier
 * checks.
 *
 * <ul>
 *   <li>Root ids (the ingress keys): {@code k<i>} for key index {@code i}.
 *   <li>Chain hops: {@code k<i>-h<h>-<j>}, where {@code j} is picked so that hop {@code h} lands on
 *       partition {@code (p0 + h) % partitions}: every hop crosses a partition.
 *   <li>Fan-out leaves: {@code k<i>.<j>} for {@code j < fanout}.
 * </ul>
 *
 * <p>Each egress key is one stream: {@code k<i>} and chain ids are stream {@code i}; a leaf {@code
 * k<i>.<j>} is stream {@code i * fanout + j}.
 */
public final class StreamKeys {

  private StreamKeys() {}

  /** The root id of key index {@code i}. */
  public static String root(int i) {
    return "k" + i;
  }

  /**
   * The id of hop {@code hop} (1-based, after the root) of key {@code i}'s chain: an id on
   * partition {@code (partition(root) + hop) % partitions}.
   */
  public static String chainHop(int i, int hop, int partitions) {
    int target = (AddressPartitioner.partition(root(i), partitions) + hop) % partitions;
    for (int j = 0; ; j++) {
      String id = root(i) + "-h" + hop + "-" + j;
      if (partitions == 1 || AddressPartitioner.partition(id, partitions) == target) {
        return id;
      }
    }
  }

  /** The stream an egress key belongs to, or -1 if it is not a benchmark key. */
  public static int stream(String key, int fanout) {
    if (key == null || key.length() < 2 || key.charAt(0) != 'k') {
      return -1;
    }
    int i = 1;
    long root = 0;
    while (i < key.length() && Character.isDigit(key.charAt(i))) {
      root = root * 10 + (key.charAt(i) - '0');
      i++;
    }
    if (i == 1 || root > Integer.MAX_VALUE) {
      return -1;
    }
    if (i == key.length() || key.charAt(i) == '-') {
      return fanout > 1 ? -1 : (int) root;
    }
    if (key.charAt(i) != '.' || fanout <= 1) {
      return -1;
    }
    int leaf;
    try {
      leaf = Integer.parseInt(key, i + 1, key.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
    if (leaf < 0 || leaf >= fanout) {
      return -1;
    }
    long stream = root * fanout + leaf;
    return stream > Integer.MAX_VALUE ? -1 : (int) stream;
  }
}
