package io.kstatefun.runtime.internals.failover;

/** The outcome of one probe of a peer's endpoint. */
public sealed interface ProbeResult {

  /**
   * The peer answered over HTTP.
   *
   * @param identity what it said about itself, or null when it did not say (503 while starting, or
   *     a server that does not serve the probe path)
   */
  record Alive(PeerIdentity identity) implements ProbeResult {}

  /**
   * The peer's host refused the connection: the host is up and nothing listens on the port, so the
   * process is gone (kill -9, crash) or has not started yet.
   */
  record Refused(String detail) implements ProbeResult {}

  /**
   * No answer in time, or another network error (host down, no route, partition, a paused process):
   * nothing is known, the consumer session timeout decides.
   */
  record Unknown(String reason) implements ProbeResult {}
}
