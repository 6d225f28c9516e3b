package io.kstatefun.runtime.internals.failover;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The probe endpoint, in one place: which path a peer probes, on which host and port, and what it
 * answers.
 *
 * <p>The rule: every instance advertises one endpoint in Kafka Streams' {@code application.server}
 * (the others learn it from {@code KafkaStreams.metadataForAllStreamsClients()}), and probes {@code
 * GET http://<application.server><PATH>} of its peers. Whatever HTTP server listens on the
 * advertised port must serve {@link #PATH} through {@link #handle}: the admin server does, the
 * probe-only server of {@link #listen} does, and so must any other server (e.g. an HTTP API) that a
 * user names in {@code application.server}. When the user sets no {@code application.server},
 * kstatefun advertises {@code <local address>:<admin port>}, or the port of a probe-only server
 * when the admin endpoints are disabled.
 *
 * <p>Threading: {@link #handle} runs on a Vert.x event loop; {@link #attach} is called once by the
 * starting thread; the Kafka Streams methods it calls are thread-safe.
 */
public final class PeerEndpoint {

  /** The probe path. */
  public static final String PATH = "/kstatefun/peer";

  private static final String THREAD_MARK = "-StreamThread-";

  private final String applicationId;
  private final String groupInstanceId;
  private volatile KafkaStreams streams;
  private volatile String processId;

  /**
   * @param applicationId the application id
   * @param groupInstanceId the configured {@code group.instance.id} (without the thread suffix), or
   *     null
   */
  public PeerEndpoint(String applicationId, String groupInstanceId) {
    this.applicationId = applicationId;
    this.groupInstanceId = groupInstanceId;
  }

  /** Starts answering with this Kafka Streams instance's identity (503 before). */
  public void attach(KafkaStreams streams) {
    this.processId = processIdOf(streams);
    this.streams = streams;
  }

  /** This instance's identity; null before {@link #attach} or when the process id is unknown. */
  public PeerIdentity identity() {
    KafkaStreams s = streams;
    String pid = processId;
    if (s == null || pid == null) {
      return null;
    }
    return new PeerIdentity(
        applicationId, pid, groupInstanceId, threadIndexes(s), s.state().name());
  }

  /** Answers a request for {@link #PATH}: 200 with the identity JSON, or 503 while unknown. */
  public void handle(HttpServerRequest request) {
    PeerIdentity id = identity();
    if (id == null) {
      request.response().setStatusCode(503).end("starting\n");
      return;
    }
    request
        .response()
        .setStatusCode(200)
        .putHeader("Content-Type", "application/json")
        .end(id.toJson().encode());
  }

  /** The probe URI of a peer that advertises {@code host}. */
  public static URI probeUri(HostInfo host) {
    return URI.create("http://" + host.host() + ":" + host.port() + PATH);
  }

  /** The host kstatefun advertises when the user sets no {@code application.server}. */
  public static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (UnknownHostException e) {
      return "127.0.0.1";
    }
  }

  /**
   * Starts a server that serves only {@link #PATH} (when the admin endpoints are disabled).
   *
   * @param port the port, 0 for a free one
   */
  public static HttpServer listen(Vertx vertx, int port, PeerEndpoint endpoint) {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  if (PATH.equals(request.path())) {
                    endpoint.handle(request);
                  } else {
                    request
                        .response()
                        .setStatusCode(404)
                        .end("not found: " + request.path() + "\n");
                  }
                });
    try {
      server
          .listen(port, "0.0.0.0")
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start the fail-over probe server on port " + port + ": " + e.getMessage(), e);
    }
    return server;
  }

  /**
   * The Kafka Streams process id, from the {@code process-id} tag of its client metrics (the public
   * view of it); null if no metric carries it.
   */
  static String processIdOf(KafkaStreams streams) {
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      String pid = e.getKey().tags().get("process-id");
      if (pid != null && !pid.isBlank()) {
        return pid;
      }
    }
    return null;
  }

  /** The indexes of the live stream threads ({@code ...-StreamThread-<n>}). */
  static List<Integer> threadIndexes(KafkaStreams streams) {
    List<Integer> out = new ArrayList<>();
    try {
      for (ThreadMetadata t : streams.metadataForLocalThreads()) {
        int at = t.threadName().lastIndexOf(THREAD_MARK);
        if (at >= 0) {
          try {
            out.add(Integer.parseInt(t.threadName().substring(at + THREAD_MARK.length())));
          } catch (NumberFormatException ignored) {
            // not a stream thread name
          }
        }
      }
    } catch (RuntimeException ignored) {
      // not started yet, or closed
    }
    return out;
  }
}
