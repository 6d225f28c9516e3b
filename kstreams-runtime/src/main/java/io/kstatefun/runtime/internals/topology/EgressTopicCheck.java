package io.kstatefun.runtime.internals.topology;

import java.util.Collection;
import java.util.function.Predicate;

/**
 * Whether egress topics exist, answered without blocking (see {@link EgressTopics}).
 *
 * <p>Threading: called by stream threads; implementations never block them.
 */
interface EgressTopicCheck extends Predicate<String> {
  /**
   * Whether {@code topic} exists, from what is known now (stream thread; never blocks). Callers
   * first make sure with {@link #answered} that the answer is known; a topic not known yet is taken
   * to exist.
   */
  @Override
  boolean test(String topic);

  /**
   * True if {@link #test} has a current answer for every topic. Otherwise asks the cluster about
   * the others, unless already asking, and returns false; {@code onAnswer} runs (on another thread)
   * when one of those lookups ends.
   */
  default boolean answered(Collection<String> topics, Runnable onAnswer) {
    return true;
  }
}
