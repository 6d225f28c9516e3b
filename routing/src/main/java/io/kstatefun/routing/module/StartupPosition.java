package io.kstatefun.routing.module;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a Kafka ingress starts reading when it has no committed position ({@code
 * spec.startupPosition}). StateFun's default, and ours, is {@link Latest}.
 */
public sealed interface StartupPosition {

  /** {@code type: earliest}: the earliest available offset. */
  record Earliest() implements StartupPosition {}

  /** {@code type: latest}: the end of each partition. */
  record Latest() implements StartupPosition {}

  /** {@code type: group-offsets}: the offsets committed for the consumer group. */
  record GroupOffsets() implements StartupPosition {}

  /**
   * {@code type: specific-offsets}: explicit offsets per partition, written as {@code -
   * <topic>/<partition>: <offset>}. Partitions not listed fall back to {@code
   * autoOffsetResetPosition}.
   *
   * @param offsets the offsets in declaration order; non-empty, each at least 0
   */
  record SpecificOffsets(Map<TopicPartition, Long> offsets) implements StartupPosition {

    /** Validates the offsets and makes them immutable. */
    public SpecificOffsets {
      offsets = Specs.immutableOrderedMap(offsets, "offsets");
      if (offsets.isEmpty()) {
        throw new IllegalArgumentException("offsets must not be empty");
      }
      offsets.forEach(
          (partition, offset) -> {
            if (offset < 0) {
              throw new IllegalArgumentException(
                  "offset of " + partition + " must not be negative: " + offset);
            }
          });
    }
  }

  /**
   * {@code type: date}: the first offsets whose record timestamp is at or after the date.
   *
   * @param date the date
   */
  record FromDate(Instant date) implements StartupPosition {

    /** Validates the date. */
    public FromDate {
      Objects.requireNonNull(date, "date");
    }
  }
}
