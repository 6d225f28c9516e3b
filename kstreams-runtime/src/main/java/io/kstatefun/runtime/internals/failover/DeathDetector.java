package io.kstatefun.runtime.internals.failover;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides from probe results which peers are dead. A plain state machine (probe results in, deaths
 * out) without Kafka or network, so its rule is testable:
 *
 * <ul>
 *   <li>a peer is dead after {@code confirmations} consecutive {@link ProbeResult.Refused} probes
 *       of its endpoint, if an earlier probe told its identity and that identity was not shutting
 *       down (a graceful stop leaves the group by itself); a {@link ProbeResult.Unknown} (timeout)
 *       or an answer breaks the streak;
 *   <li>a peer whose endpoint answers with another incarnation (restarted faster than the
 *       confirmations) is dead as the earlier incarnation; its producers are fenced only if the new
 *       one has another process id (the same process id means the same transactional ids, which the
 *       new incarnation fenced itself when it started);
 *   <li>each death is reported once; a peer that answers again is watched afresh.
 * </ul>
 *
 * <p>The monitor probes a refusing endpoint again at once ({@link #awaitingConfirmation}), so
 * confirming a death takes about {@code confirmations} probes, not as many rounds.
 *
 * <p>Threading: confined to the fail-over monitor thread.
 */
public final class DeathDetector {

  /**
   * A peer to fence and remove.
   *
   * @param endpoint its advertised {@code host:port}
   * @param identity what it last said about itself
   * @param fenceProducers whether to fence its transactional ids
   * @param reason why it is considered dead, for the log
   */
  public record Death(
      String endpoint, PeerIdentity identity, boolean fenceProducers, String reason) {}

  private static final class Peer {
    PeerIdentity identity;
    int refusals;
    boolean reported;
    long lastListedMs;
  }

  private final int confirmations;
  private final long forgetAfterMs;
  private final Map<String, Peer> peers = new HashMap<>();

  /**
   * @param confirmations consecutive refusals that confirm a death (at least 1)
   * @param forgetAfterMs how long a peer's last identity is kept after it left the metadata
   */
  public DeathDetector(int confirmations, long forgetAfterMs) {
    if (confirmations < 1) {
      throw new IllegalArgumentException("confirmations must be at least 1: " + confirmations);
    }
    this.confirmations = confirmations;
    this.forgetAfterMs = forgetAfterMs;
  }

  /** Records that these endpoints are in the group's metadata now; forgets long-gone ones. */
  public void listed(Set<String> endpoints, long nowMs) {
    for (String endpoint : endpoints) {
      peers.computeIfAbsent(endpoint, e -> new Peer()).lastListedMs = nowMs;
    }
    for (Iterator<Peer> it = peers.values().iterator(); it.hasNext(); ) {
      if (nowMs - it.next().lastListedMs > forgetAfterMs) {
        it.remove();
      }
    }
  }

  /** Feeds one probe result; returns the deaths it confirms (usually none). */
  public List<Death> onProbe(String endpoint, ProbeResult result) {
    Peer peer = peers.computeIfAbsent(endpoint, e -> new Peer());
    List<Death> deaths = new ArrayList<>();
    if (result instanceof ProbeResult.Alive alive) {
      peer.refusals = 0;
      PeerIdentity now = alive.identity();
      if (now != null) {
        PeerIdentity before = peer.identity;
        if (before != null && !before.sameIncarnation(now) && !peer.reported && !before.leaving()) {
          deaths.add(
              new Death(
                  endpoint,
                  before,
                  !before.processId().equals(now.processId()),
                  "its endpoint answers as a new incarnation (process id "
                      + now.processId()
                      + ")"));
        }
        peer.identity = now;
        peer.reported = false;
      }
    } else if (result instanceof ProbeResult.Refused refused) {
      peer.refusals++;
      if (peer.refusals >= confirmations && !peer.reported && peer.identity != null) {
        peer.reported = true;
        if (!peer.identity.leaving()) {
          deaths.add(
              new Death(
                  endpoint,
                  peer.identity,
                  true,
                  peer.refusals + " consecutive probes refused (" + refused.detail() + ")"));
        }
      }
    } else {
      peer.refusals = 0;
    }
    return deaths;
  }

  /**
   * Whether an endpoint's last probes were refused and a further refusal could confirm a death (so
   * the monitor probes it again at once instead of a round later).
   */
  public boolean awaitingConfirmation(String endpoint) {
    Peer peer = peers.get(endpoint);
    return peer != null && peer.refusals > 0 && !peer.reported && peer.identity != null;
  }

  /** The identity last probed at an endpoint, or null. */
  public PeerIdentity identity(String endpoint) {
    Peer peer = peers.get(endpoint);
    return peer == null ? null : peer.identity;
  }
}
