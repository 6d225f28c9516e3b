package io.kstatefun.runtime;

import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.admin.AdminServer;
import io.kstatefun.runtime.internals.admin.Readiness;
import io.kstatefun.runtime.internals.api.ApiMetrics;
import io.kstatefun.runtime.internals.api.ApiSecurity;
import io.kstatefun.runtime.internals.api.ApiServer;
import io.kstatefun.runtime.internals.api.CallRoutes;
import io.kstatefun.runtime.internals.api.StateRoutes;
import io.kstatefun.runtime.internals.failover.Failover;
import io.kstatefun.runtime.internals.metrics.RuntimeMetrics;
import io.kstatefun.runtime.internals.topology.CrashLoopGuard;
import io.kstatefun.runtime.internals.topology.RuntimeServicesFactory;
import io.kstatefun.runtime.internals.topology.StateQueries;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kstatefun runtime instance: a Kafka Streams application that runs the functions of a StateFun
 * module. Start as many instances with the same {@code application.id} as you need; they share the
 * partitions.
 *
 * <pre>{@code
 * ModuleSpec module = ModuleParser.parse(Path.of("module.yaml"));
 * Map<String, Object> props = Map.of(
 *     "application.id", "my-app",
 *     "bootstrap.servers", "localhost:9092",
 *     "state.dir", "/var/lib/kstatefun");
 * try (KStatefunRuntime runtime = KStatefunRuntime.start(module, props)) {
 *   runtime.awaitRunning(Duration.ofSeconds(60));
 *   ...
 * }
 * }</pre>
 *
 * <p>Properties are Kafka Streams settings (passed through; kstatefun picks defaults for
 * exactly-once, see {@link KStatefunConfig#streamsDefaults()}) plus {@code kstatefun.*} settings
 * ({@link KStatefunConfig}).
 */
public final class KStatefunRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KStatefunRuntime.class);

  private final RuntimeServicesFactory.Runtime parts;
  private final KafkaStreams streams;
  private final RuntimeMetrics metrics;
  private final AdminServer admin;
  private final ApiServer api;
  private final CallRoutes calls;
  private final Failover failover;

  /**
   * What {@link #close} does with the group membership: leave, unless the user made the member
   * static.
   */
  private final CloseOptions.GroupMembershipOperation onClose;

  private KStatefunRuntime(
      RuntimeServicesFactory.Runtime parts,
      KafkaStreams streams,
      RuntimeMetrics metrics,
      AdminServer admin,
      ApiServer api,
      CallRoutes calls,
      Failover failover,
      CloseOptions.GroupMembershipOperation onClose) {
    this.calls = calls;
    this.failover = failover;
    this.parts = parts;
    this.streams = streams;
    this.metrics = metrics;
    this.admin = admin;
    this.api = api;
    this.onClose = onClose;
  }

  /** Prepares topics, builds the topology and starts Kafka Streams. Returns once started. */
  public static KStatefunRuntime start(ModuleSpec module, Map<String, ?> properties) {
    return start(module, properties, RuntimeListener.NONE);
  }

  /**
   * Like {@link #start(ModuleSpec, Map)}; {@code listener} is told of every dispatcher, HTTP and
   * ingress event, after the runtime's own metrics (e.g. for a custom view or tests).
   */
  public static KStatefunRuntime start(
      ModuleSpec module, Map<String, ?> properties, RuntimeListener listener) {
    Map<String, Object> props = new HashMap<>(properties);
    KStatefunConfig config = new KStatefunConfig(props);
    Properties streamsProps = KStatefunConfig.streamsProperties(props);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RuntimeMetrics metrics = new RuntimeMetrics(registry);
    RuntimeServicesFactory.Runtime parts =
        RuntimeServicesFactory.create(
            config,
            module,
            streamsProps,
            listener == RuntimeListener.NONE ? metrics : metrics.andThen(listener));
    // Before Kafka Streams is built: the API sets application.server to its own address, and the
    // fail-over detection advertises that address (or its own) and sets group.instance.id.
    ApiServer api = startApi(config, parts, streamsProps, registry);
    CloseOptions.GroupMembershipOperation onClose = membershipOnClose(streamsProps);
    int adminPort = config.getInt(KStatefunConfig.ADMIN_PORT_CONFIG);
    Failover failover = Failover.prepare(config, streamsProps, parts.vertx(), adminPort);
    if (api != null) {
      api.servePeerProbes(failover.endpoint());
    }
    Topology topology = parts.topology();
    KafkaStreams streams = new KafkaStreams(topology, streamsProps);
    streams.setGlobalStateRestoreListener(metrics);
    Readiness readiness = new Readiness(streams);
    metrics.bind(streams, parts.services().tasks());
    CrashLoopGuard crashLoops =
        new CrashLoopGuard(
            config.getInt(KStatefunConfig.CRASH_LOOP_MAX_FAILURES_CONFIG),
            config.getLong(KStatefunConfig.CRASH_LOOP_WINDOW_MS_CONFIG),
            System::currentTimeMillis);
    metrics.bind(crashLoops);
    streams.setUncaughtExceptionHandler(
        e -> {
          if (io.kstatefun.runtime.internals.topology.IngressFailureException.isCauseOf(e)) {
            LOG.error(
                "Stopping the application: an ingress with onError 'fail' got a bad record", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                .SHUTDOWN_APPLICATION;
          }
          crashLoops.onFailure(e); // logs it, and once per crash loop an ERROR naming the task
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener(
        (next, previous) -> {
          readiness.onStateChange(next);
          if (next == KafkaStreams.State.RUNNING) {
            LOG.info(
                "kstatefun running: application {}, {} partitions, ingress topics {}, loopback {}",
                config.applicationId(),
                parts.numPartitions(),
                parts.ingressTopics(),
                config.loopbackTopic());
          } else if (next == KafkaStreams.State.ERROR) {
            LOG.error("kstatefun stopped with an error (state {} -> {})", previous, next);
          }
        });
    AdminServer admin = null;
    if (adminPort >= 0) {
      admin =
          AdminServer.start(
              parts.vertx(),
              adminPort,
              config.applicationId(),
              streams,
              registry,
              metrics,
              parts.services().tasks(),
              crashLoops,
              readiness,
              failover.endpoint());
      LOG.info(
          "kstatefun admin endpoints on port {}: /metrics /health/live /health/ready /status",
          admin.port());
    }
    streams.start();
    failover.start(streams, registry);
    CallRoutes calls = null;
    if (api != null) {
      try {
        calls =
            new CallRoutes(
                parts.vertx(),
                new CallRoutes.Settings(
                    config.loopbackTopic(),
                    parts.numPartitions(),
                    config.apiRepliesTopic(),
                    config.getLong(KStatefunConfig.API_CALL_TIMEOUT_MS_CONFIG),
                    config.getInt(KStatefunConfig.API_MAX_PENDING_CALLS_CONFIG),
                    parts.services().maxMessageRecordBytes()),
                type -> module.endpointRouter().endpointFor(type).isPresent(),
                RuntimeServicesFactory.apiProducerProperties(streamsProps),
                RuntimeServicesFactory.apiConsumerProperties(streamsProps),
                System::currentTimeMillis);
      } catch (RuntimeException e) {
        streams.close(Duration.ofSeconds(10));
        failover.close();
        api.close();
        parts.close();
        throw e;
      }
      StateQueries queries = new StateQueries(streams, parts.services(), parts.numPartitions());
      HostInfo self =
          HostInfo.buildFromEndpoint(
              streamsProps.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG));
      api.install(
          List.of(
              calls,
              new StateRoutes(
                  parts.vertx(), queries, self, api.security(), System::currentTimeMillis)),
          readiness::ready);
      LOG.info("kstatefun HTTP API on port {}", api.port());
    }
    return new KStatefunRuntime(parts, streams, metrics, admin, api, calls, failover, onClose);
  }

  /**
   * Binds the HTTP API before Kafka Streams starts, so that its port can be advertised as {@code
   * application.server}: the other instances find the owner of an address through Kafka Streams'
   * metadata and proxy to it. Null when the API is disabled.
   */
  private static ApiServer startApi(
      KStatefunConfig config,
      RuntimeServicesFactory.Runtime parts,
      Properties streamsProps,
      MeterRegistry registry) {
    int port = config.getInt(KStatefunConfig.API_PORT_CONFIG);
    if (port < 0) {
      return null;
    }
    ApiServer api =
        ApiServer.listen(
            parts.vertx(),
            config.getString(KStatefunConfig.API_HOST_CONFIG),
            port,
            ApiSecurity.from(config),
            new ApiMetrics(registry, parts.services()::hasFunction));
    if (streamsProps.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, "").isBlank()) {
      String host = config.getString(KStatefunConfig.API_ADVERTISED_HOST_CONFIG);
      if (host.isBlank()) {
        try {
          host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
          host = "localhost";
        }
      }
      streamsProps.setProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, host + ":" + api.port());
    }
    return api;
  }

  /**
   * A graceful stop leaves the consumer group, so that the other instances take the partitions over
   * at the next rebalance instead of after the session timeout. A member the user made static
   * ({@code group.instance.id} set in {@code properties}) stays: static membership is chosen to
   * keep partitions across a restart. (The group instance id the fail-over detection assigns is
   * added after this decision, and that member leaves: see {@link Failover}.)
   */
  static CloseOptions.GroupMembershipOperation membershipOnClose(Properties streamsProps) {
    String key = ConsumerConfig.GROUP_INSTANCE_ID_CONFIG;
    for (String k :
        List.of(key, StreamsConfig.consumerPrefix(key), StreamsConfig.mainConsumerPrefix(key))) {
      Object v = streamsProps.get(k);
      if (v != null && !v.toString().isBlank()) {
        return CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP;
      }
    }
    return CloseOptions.GroupMembershipOperation.LEAVE_GROUP;
  }

  /** The admin HTTP port, or -1 when the admin endpoints are disabled. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The HTTP API port, or -1 when the API is disabled. */
  public int apiPort() {
    return api == null ? -1 : api.port();
  }

  /** The runtime's metrics. */
  public MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  /** Waits until Kafka Streams is RUNNING; false on timeout. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State s = streams.state();
      if (s == KafkaStreams.State.RUNNING) {
        return true;
      }
      if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return false;
  }

  /** The underlying Kafka Streams instance (state, metrics, metadata). */
  public KafkaStreams streams() {
    return streams;
  }

  /** The number of address partitions. */
  public int partitions() {
    return parts.numPartitions();
  }

  /** The tasks this instance runs now. */
  public io.kstatefun.runtime.internals.topology.TaskRegistry tasks() {
    return parts.services().tasks();
  }

  /** The application id. */
  public String applicationId() {
    return String.valueOf(parts.config().applicationId());
  }

  /**
   * Stops Kafka Streams cleanly (commits, closes stores, leaves the consumer group unless the user
   * made the member static), then the fail-over probing, the HTTP API, the admin endpoints, the
   * HTTP client and doorbell.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /** Like {@link #close()}, waiting at most {@code timeout} for the stream threads to stop. */
  public void close(Duration timeout) {
    failover.beforeClose();
    // The probe endpoint (on the admin or API port) answers until Kafka Streams has closed: a peer
    // that saw this instance shutting down does not take the refusals after it for a death. The API
    // answers 503 meanwhile (not ready).
    streams.close(CloseOptions.timeout(timeout).withGroupMembershipOperation(onClose));
    if (onClose == CloseOptions.GroupMembershipOperation.LEAVE_GROUP) {
      failover.afterClose(); // removes the static members it assigned, in case the close did not
    } else {
      failover.close();
    }
    if (calls != null) {
      calls.close();
    }
    if (api != null) {
      api.close();
    }
    if (admin != null) {
      admin.close();
    }
    metrics.close();
    parts.close();
  }
}
