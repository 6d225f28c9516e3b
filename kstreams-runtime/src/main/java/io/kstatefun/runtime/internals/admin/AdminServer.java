package io.kstatefun.runtime.internals.admin;

import io.kstatefun.runtime.internals.failover.PeerEndpoint;
import io.kstatefun.runtime.internals.metrics.RuntimeMetrics;
import io.kstatefun.runtime.internals.topology.CrashLoopGuard;
import io.kstatefun.runtime.internals.topology.TaskRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * The admin HTTP endpoints of a runtime instance ({@code kstatefun.admin.port}):
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus scrape of every kstatefun, Kafka Streams and JVM metric;
 *   <li>{@code GET /health/live}: 200 while the instance is alive (Kafka Streams not in ERROR or
 *       shut down, and no task crash looping: see {@link CrashLoopGuard}), else 503 with the
 *       reason;
 *   <li>{@code GET /health/ready}: 200 while the instance can serve ({@link Readiness}: Kafka
 *       Streams RUNNING, or REBALANCING after it first ran, even while it restores partitions it
 *       takes over), else 503 with the reason;
 *   <li>{@code GET /status}: JSON with the state, the threads, their active and standby tasks and
 *       partitions, calls in flight per partition and pending timers;
 *   <li>{@code GET /kstatefun/peer}: the fail-over probe path ({@link PeerEndpoint}).
 * </ul>
 *
 * <p>Threading: requests are served on a Vert.x event loop and only read thread-safe snapshots.
 */
public final class AdminServer implements AutoCloseable {

  private final HttpServer server;

  private AdminServer(HttpServer server) {
    this.server = server;
  }

  public static AdminServer start(
      Vertx vertx,
      int port,
      String applicationId,
      KafkaStreams streams,
      PrometheusMeterRegistry registry,
      RuntimeMetrics metrics,
      TaskRegistry tasks,
      CrashLoopGuard crashLoops,
      Readiness readiness,
      PeerEndpoint peer) {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  if (PeerEndpoint.PATH.equals(request.path())) {
                    peer.handle(request);
                  } else {
                    handle(
                        request,
                        applicationId,
                        streams,
                        registry,
                        metrics,
                        tasks,
                        crashLoops,
                        readiness);
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
          "cannot start the admin server on port " + port + ": " + e.getMessage(), e);
    }
    return new AdminServer(server);
  }

  public int port() {
    return server.actualPort();
  }

  private static void handle(
      HttpServerRequest request,
      String applicationId,
      KafkaStreams streams,
      PrometheusMeterRegistry registry,
      RuntimeMetrics metrics,
      TaskRegistry tasks,
      CrashLoopGuard crashLoops,
      Readiness readiness) {
    KafkaStreams.State state = streams.state();
    switch (request.path()) {
      case "/metrics" ->
          request
              .response()
              .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
              .end(registry.scrape());
      case "/health/live" -> {
        Map<String, String> looping = crashLoops.crashLoopingTasks();
        boolean alive =
            state != KafkaStreams.State.ERROR
                && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_ERROR
                && looping.isEmpty();
        JsonObject body =
            new JsonObject().put("status", alive ? "UP" : "DOWN").put("state", state.name());
        if (!looping.isEmpty()) {
          body.put(
              "crashLoopingTasks",
              new JsonObject(new java.util.LinkedHashMap<String, Object>(looping)));
        }
        json(request, alive ? 200 : 503, body);
      }
      case "/health/ready" -> {
        Readiness.Decision decision = readiness.now();
        JsonObject body =
            new JsonObject()
                .put("status", decision.ready() ? "READY" : "NOT_READY")
                .put("state", state.name())
                .put("restoring", metrics.restoring());
        if (decision.reason() != null) {
          body.put("reason", decision.reason());
        }
        json(request, decision.ready() ? 200 : 503, body);
      }
      case "/status" -> json(request, 200, status(applicationId, streams, tasks));
      default -> request.response().setStatusCode(404).end("not found: " + request.path() + "\n");
    }
  }

  static JsonObject status(String applicationId, KafkaStreams streams, TaskRegistry tasks) {
    JsonArray threads = new JsonArray();
    try {
      for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
        threads.add(
            new JsonObject()
                .put("name", thread.threadName())
                .put("state", thread.threadState())
                .put("activeTasks", taskList(thread.activeTasks()))
                .put("standbyTasks", taskList(thread.standbyTasks())));
      }
    } catch (RuntimeException e) {
      threads.add(new JsonObject().put("error", String.valueOf(e.getMessage())));
    }
    JsonObject inFlight = new JsonObject();
    for (Map.Entry<Integer, Integer> e : tasks.inFlightByPartition().entrySet()) {
      inFlight.put(Integer.toString(e.getKey()), e.getValue());
    }
    return new JsonObject()
        .put("applicationId", applicationId)
        .put("state", streams.state().name())
        .put("threads", threads)
        .put("inFlightByPartition", inFlight)
        .put("pendingTimers", tasks.pendingTimersTotal());
  }

  private static JsonArray taskList(java.util.Set<TaskMetadata> taskSet) {
    JsonArray out = new JsonArray();
    for (TaskMetadata task : taskSet) {
      JsonArray partitions = new JsonArray();
      task.topicPartitions().forEach(tp -> partitions.add(tp.topic() + "-" + tp.partition()));
      out.add(
          new JsonObject().put("taskId", task.taskId().toString()).put("partitions", partitions));
    }
    return out;
  }

  private static void json(HttpServerRequest request, int status, JsonObject body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encodePrettily() + "\n");
  }

  @Override
  public void close() {
    server.close();
  }
}
