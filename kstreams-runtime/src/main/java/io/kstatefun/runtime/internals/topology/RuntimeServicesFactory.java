package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.module.IngressTopic;
import io.kstatefun.routing.module.KafkaIngressSpec;
import io.kstatefun.routing.module.ModuleSpec;
import io.kstatefun.runtime.RuntimeListener;
import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.dispatch.Tracing;
import io.kstatefun.runtime.internals.http.HttpFunctionClient;
import io.kstatefun.runtime.internals.tracing.OpenTelemetryTracing;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one runtime instance: prepares topics, creates the HTTP client, doorbell and timer alarms,
 * and builds the topology. {@link Runtime#close()} releases what it created.
 */
public final class RuntimeServicesFactory {

  private static final Logger LOG = LoggerFactory.getLogger(RuntimeServicesFactory.class);

  private RuntimeServicesFactory() {}

  /** The wired parts of a runtime instance. */
  public record Runtime(
      KStatefunConfig config,
      RuntimeServices services,
      Topology topology,
      int numPartitions,
      List<String> ingressTopics,
      Vertx vertx,
      AutoCloseable resources)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        resources.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing runtime resources failed", e);
      }
    }
  }

  /**
   * Checks the settings, prepares the topics and wires the parts of a runtime instance.
   *
   * @throws org.apache.kafka.common.config.ConfigException if a setting is refused, before any
   *     connection to Kafka (e.g. a processing guarantee other than exactly-once)
   */
  public static Runtime create(
      KStatefunConfig config,
      ModuleSpec module,
      Properties streamsProps,
      RuntimeListener listener) {
    String guarantee = config.requireProcessingGuarantee(streamsProps);
    if (!StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee)) {
      LOG.warn(
          "Running with processing.guarantee={} because {}=true: a crash can apply function effects twice",
          guarantee,
          KStatefunConfig.ALLOW_AT_LEAST_ONCE_CONFIG);
    }
    int partitions;
    try (Admin admin = Admin.create(adminProperties(streamsProps))) {
      partitions = TopicSetup.prepare(admin, config, module);
    }
    Vertx vertx = Vertx.vertx();
    HttpFunctionClient client =
        new HttpFunctionClient(
            vertx,
            module.endpointRouter()::endpointFor,
            new HttpFunctionClient.Backoff(
                config.getLong(KStatefunConfig.RETRY_INITIAL_BACKOFF_MS_CONFIG),
                config.getLong(KStatefunConfig.RETRY_MAX_BACKOFF_MS_CONFIG)),
            listener);
    try {
      client.prepare(module.endpointRouter().endpoints()); // fail fast on TLS or header sources
    } catch (RuntimeException e) {
      client.close();
      vertx.close();
      throw e;
    }
    Doorbell doorbell =
        config.getBoolean(KStatefunConfig.DOORBELL_ENABLED_CONFIG)
            ? new Doorbell(config.doorbellTopic(), doorbellProducerProperties(streamsProps))
            : null;
    ScheduledThreadPoolExecutor alarms =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "kstatefun-timer-alarm");
              t.setDaemon(true);
              return t;
            });
    alarms.setRemoveOnCancelPolicy(true);
    EgressTopics egressTopics = EgressTopics.withAdmin(Admin.create(adminProperties(streamsProps)));
    Tracing tracing = Tracing.OFF;
    AutoCloseable tracingCloser = () -> {};
    if (config.getBoolean(KStatefunConfig.TRACING_ENABLED_CONFIG)) {
      OpenTelemetryTracing.Configured otel = OpenTelemetryTracing.configure();
      tracing = new OpenTelemetryTracing(otel.openTelemetry());
      tracingCloser = otel.closer();
      LOG.info("Tracing with OpenTelemetry ({})", KStatefunConfig.TRACING_ENABLED_CONFIG);
    }
    RuntimeServices services =
        new RuntimeServices(
            config,
            module,
            client,
            doorbell,
            alarms,
            partitions,
            System::currentTimeMillis,
            listener,
            egressTopics,
            tracing);
    LoopbackPurger purger =
        new LoopbackPurger(
            Admin.create(adminProperties(streamsProps)),
            config.applicationId(),
            config.loopbackTopic(),
            services.tasks()::partitions);
    long purgeInterval = config.getLong(KStatefunConfig.LOOPBACK_PURGE_INTERVAL_MS_CONFIG);
    // The purger only starts admin requests: it never holds up the alarm thread.
    alarms.scheduleWithFixedDelay(purger, purgeInterval, purgeInterval, TimeUnit.MILLISECONDS);
    Topology topology = TopologyFactory.build(services);
    List<String> ingressTopics = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (KafkaIngressSpec ingress : module.ingresses()) {
      for (IngressTopic topic : ingress.topics()) {
        if (seen.add(topic.topic())) {
          ingressTopics.add(topic.topic());
        }
      }
    }
    AutoCloseable closeTracing = tracingCloser;
    AutoCloseable resources =
        () -> {
          alarms.shutdownNow();
          purger.close();
          if (doorbell != null) {
            doorbell.close();
          }
          client.close();
          vertx.close();
          egressTopics.close();
          closeTracing.close();
        };
    return new Runtime(
        config, services, topology, partitions, List.copyOf(ingressTopics), vertx, resources);
  }

  /** The admin client's settings (bootstrap, security...) among the Streams properties. */
  static Map<String, Object> adminProperties(Properties streamsProps) {
    return filter(clientProperties(streamsProps), AdminClientConfig.configNames());
  }

  /** The doorbell producer's settings (bootstrap, security...) among the Streams properties. */
  static Map<String, Object> doorbellProducerProperties(Properties streamsProps) {
    return filter(clientProperties(streamsProps), ProducerConfig.configNames());
  }

  /**
   * The HTTP API request producer's settings (bootstrap, security...) among the Streams properties.
   */
  public static Map<String, Object> apiProducerProperties(Properties streamsProps) {
    return filter(clientProperties(streamsProps), ProducerConfig.configNames());
  }

  /**
   * The HTTP API answer reader's settings (bootstrap, security...) among the Streams properties.
   */
  public static Map<String, Object> apiConsumerProperties(Properties streamsProps) {
    return filter(
        clientProperties(streamsProps),
        org.apache.kafka.clients.consumer.ConsumerConfig.configNames());
  }

  /** The client settings (bootstrap, security...) of the Streams properties, without prefixes. */
  private static Map<String, Object> clientProperties(Properties streamsProps) {
    Map<String, Object> out = new HashMap<>();
    streamsProps.forEach((k, v) -> out.put(k.toString(), v));
    return out;
  }

  private static Map<String, Object> filter(Map<String, Object> props, Set<String> names) {
    Map<String, Object> out = new HashMap<>();
    props.forEach(
        (k, v) -> {
          if (names.contains(k)) {
            out.put(k, v);
          }
        });
    return out;
  }
}
