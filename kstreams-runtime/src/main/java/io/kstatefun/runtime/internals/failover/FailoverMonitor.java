package io.kstatefun.runtime.internals.failover;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code interval}, probes every peer that Kafka Streams' metadata names (all instances of
 * the application but this one, by their {@code application.server}), feeds the results to a {@link
 * DeathDetector} and hands confirmed deaths to {@link FailoverActions}.
 *
 * <p>Threading: one daemon thread ({@code kstatefun-failover}) runs the rounds and the actions; the
 * probes of a round run in parallel on a small daemon pool and are awaited by that thread.
 */
public final class FailoverMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FailoverMonitor.class);

  /** Pause before probing a refusing endpoint again to confirm its death. */
  private static final long CONFIRMATION_PAUSE_MS = 50;

  private final KafkaStreams streams;
  private final String self;
  private final PeerProber prober;
  private final DeathDetector detector;
  private final FailoverActions actions;
  private final Duration interval;
  private final Duration timeout;
  private final ScheduledExecutorService rounds;
  private final ExecutorService probes;

  /**
   * @param streams this instance's Kafka Streams, for the metadata of the others
   * @param self this instance's advertised {@code host:port}
   * @param interval pause between two probe rounds
   * @param timeout connect and read timeout of a probe
   * @param confirmations consecutive refusals that confirm a death
   */
  public FailoverMonitor(
      KafkaStreams streams,
      String self,
      FailoverActions actions,
      Duration interval,
      Duration timeout,
      int confirmations) {
    this.streams = streams;
    this.self = self;
    this.actions = actions;
    this.interval = interval;
    this.timeout = timeout;
    this.prober = new PeerProber(timeout);
    this.detector = new DeathDetector(confirmations, Duration.ofMinutes(10).toMillis());
    this.rounds =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kstatefun-failover");
              t.setDaemon(true);
              return t;
            });
    this.probes =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "kstatefun-failover-probe");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the probe rounds. */
  public void start() {
    rounds.scheduleWithFixedDelay(
        this::roundSafely, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    LOG.info(
        "kstatefun fail-over detection on: advertising {}, probing peers' {} every {} ms (timeout {} ms)",
        self,
        PeerEndpoint.PATH,
        interval.toMillis(),
        timeout.toMillis());
  }

  private void roundSafely() {
    try {
      round();
    } catch (RuntimeException e) {
      LOG.warn("kstatefun fail-over: probe round failed: {}", e.toString());
    }
  }

  private void round() {
    Map<String, StreamsMetadata> peers = new LinkedHashMap<>();
    try {
      for (StreamsMetadata m : streams.metadataForAllStreamsClients()) {
        String endpoint = m.host() + ":" + m.port();
        if (m.port() > 0 && !endpoint.equals(self)) {
          peers.put(endpoint, m);
        }
      }
    } catch (RuntimeException e) {
      return; // not running (starting, shutting down)
    }
    detector.listed(peers.keySet(), System.currentTimeMillis());
    Map<String, Future<ProbeResult>> pending = new LinkedHashMap<>();
    for (StreamsMetadata m : peers.values()) {
      pending.put(
          m.host() + ":" + m.port(),
          probes.submit(() -> prober.probe(PeerEndpoint.probeUri(m.hostInfo()))));
    }
    List<DeathDetector.Death> deaths = new ArrayList<>();
    long waitMs = 2 * timeout.toMillis() + 1_000;
    for (Map.Entry<String, Future<ProbeResult>> e : pending.entrySet()) {
      ProbeResult result;
      try {
        result = e.getValue().get(waitMs, TimeUnit.MILLISECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception ex) {
        e.getValue().cancel(true);
        result = new ProbeResult.Unknown(ex.toString());
      }
      if (result instanceof ProbeResult.Refused r) {
        LOG.debug("kstatefun fail-over: probe of {} refused: {}", e.getKey(), r.detail());
      }
      deaths.addAll(detector.onProbe(e.getKey(), result));
      // confirm a refusal at once rather than a round later
      URI uri = PeerEndpoint.probeUri(peers.get(e.getKey()).hostInfo());
      while (detector.awaitingConfirmation(e.getKey())) {
        try {
          Thread.sleep(CONFIRMATION_PAUSE_MS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        deaths.addAll(detector.onProbe(e.getKey(), prober.probe(uri)));
      }
    }
    for (DeathDetector.Death death : deaths) {
      actions.onDeath(death);
    }
  }

  /** Stops probing (idempotent); the actions stay usable for {@link FailoverActions#leave}. */
  public void stopProbing() {
    rounds.shutdownNow();
    probes.shutdownNow();
  }

  @Override
  public void close() {
    stopProbing();
    try {
      rounds.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    actions.close();
  }
}
