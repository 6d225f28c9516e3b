package io.kstatefun.runtime.internals.admin;

import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether an instance can serve: the answer of {@code /health/ready} and the gate of the HTTP API.
 *
 * <p>An instance is ready once Kafka Streams reached RUNNING for the first time (its first
 * assignment is restored and processing), and stays ready through later rebalances (REBALANCING),
 * while it restores partitions it takes over: its other tasks keep processing, and the HTTP API
 * answers 503 only for addresses whose partition is not servable here. It is not ready while
 * starting (before the first RUNNING) and once it stops or fails (PENDING_SHUTDOWN, NOT_RUNNING,
 * PENDING_ERROR, ERROR).
 *
 * <p>The old rule, "RUNNING and nothing restoring", turned the survivor of a failover not ready for
 * the seconds it restored its peer's partitions, so a load balancer cut it off exactly when it was
 * the only instance serving.
 *
 * <p>Threading: {@link #onStateChange} is called by Kafka Streams' state listener; any thread
 * reads.
 */
public final class Readiness {

  private final KafkaStreams streams;
  private volatile boolean everRunning;

  public Readiness(KafkaStreams streams) {
    this.streams = streams;
  }

  /** Kafka Streams changed state. */
  public void onStateChange(KafkaStreams.State next) {
    if (next == KafkaStreams.State.RUNNING) {
      everRunning = true;
    }
  }

  /** The decision for the current state. */
  public Decision now() {
    KafkaStreams.State state = streams.state();
    if (state == KafkaStreams.State.RUNNING) {
      everRunning = true; // the listener may not have run yet
    }
    return decide(state, everRunning);
  }

  /** Whether the instance can serve now. */
  public boolean ready() {
    return now().ready();
  }

  /**
   * The readiness decision.
   *
   * @param state Kafka Streams' state
   * @param everRunning whether it has been RUNNING since it started
   * @return ready, or not ready with the reason
   */
  public static Decision decide(KafkaStreams.State state, boolean everRunning) {
    return switch (state) {
      case RUNNING -> new Decision(true, null);
      case REBALANCING ->
          everRunning
              ? new Decision(true, null)
              : new Decision(false, "starting: the first assignment is not restored yet");
      case CREATED -> new Decision(false, "starting: Kafka Streams is not started yet");
      default -> new Decision(false, "Kafka Streams is " + state);
    };
  }

  /**
   * A readiness decision.
   *
   * @param ready whether the instance can serve
   * @param reason why not, or null
   */
  public record Decision(boolean ready, String reason) {}
}
