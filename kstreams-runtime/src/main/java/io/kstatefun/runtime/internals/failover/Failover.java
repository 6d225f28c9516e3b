package io.kstatefun.runtime.internals.failover;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fail-over feature of one runtime instance, from configuration to shutdown:
 *
 * <ol>
 *   <li>{@link #prepare} (before Kafka Streams is built) decides the advertised endpoint ({@code
 *       application.server}, see {@link PeerEndpoint}) and, for the classic group protocol, gives
 *       the instance a unique {@code group.instance.id} unless the user set one (static membership
 *       is what lets a survivor remove a dead member: {@code Admin.removeMembersFromConsumerGroup}
 *       takes group instance ids only);
 *   <li>{@link #start} attaches the probe endpoint and starts the {@link FailoverMonitor};
 *   <li>{@link #beforeClose} / {@link #afterClose} bracket Kafka Streams' close: the instance
 *       leaves the group at once, also as a static member.
 * </ol>
 *
 * <p>Threading: the starting and the closing thread; the parts say their own.
 */
public final class Failover implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Failover.class);

  private final KStatefunConfig config;
  private final Properties streamsProps;
  private final boolean enabled;
  private final String advertised;
  private final String assignedInstanceId;
  private final boolean userStatic;
  private final PeerEndpoint endpoint;
  private final HttpServer probeServer;
  private FailoverActions actions;
  private FailoverMonitor monitor;
  private List<String> ownMembers = List.of();

  private Failover(
      KStatefunConfig config,
      Properties streamsProps,
      boolean enabled,
      String advertised,
      String assignedInstanceId,
      boolean userStatic,
      PeerEndpoint endpoint,
      HttpServer probeServer) {
    this.config = config;
    this.streamsProps = streamsProps;
    this.enabled = enabled;
    this.advertised = advertised;
    this.assignedInstanceId = assignedInstanceId;
    this.userStatic = userStatic;
    this.endpoint = endpoint;
    this.probeServer = probeServer;
  }

  /**
   * Decides the fail-over settings and writes them into {@code streamsProps} ({@code
   * application.server}, {@code main.consumer.group.instance.id}); starts a probe-only server when
   * the detection is on, the user set no {@code application.server} and the admin port is not a
   * fixed one.
   *
   * @param adminPort {@code kstatefun.admin.port}: -1 disabled, 0 any free port, else that port
   */
  public static Failover prepare(
      KStatefunConfig config, Properties streamsProps, Vertx vertx, int adminPort) {
    String userInstanceId = userGroupInstanceId(streamsProps);
    boolean classic = isClassicProtocol(streamsProps);
    boolean enabled = config.getBoolean(KStatefunConfig.FAILOVER_DETECTION_ENABLED_CONFIG);
    String assigned = null;
    if (enabled && classic && userInstanceId == null) {
      assigned = config.applicationId() + "-" + UUID.randomUUID();
      streamsProps.put(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), assigned);
    }
    PeerEndpoint endpoint =
        new PeerEndpoint(config.applicationId(), assigned != null ? assigned : userInstanceId);
    HttpServer probeServer = null;
    String advertised = null;
    Object userServer = streamsProps.get(StreamsConfig.APPLICATION_SERVER_CONFIG);
    if (userServer != null && !userServer.toString().isBlank()) {
      HostInfo host = HostInfo.buildFromEndpoint(userServer.toString());
      advertised = host.host() + ":" + host.port();
    } else if (enabled) {
      int port = adminPort;
      if (adminPort <= 0) {
        probeServer = PeerEndpoint.listen(vertx, 0, endpoint);
        port = probeServer.actualPort();
      }
      advertised = PeerEndpoint.localHost() + ":" + port;
      streamsProps.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised);
    }
    if (enabled && !classic) {
      LOG.info(
          "kstatefun fail-over: group.protocol is not classic: dead peers are fenced but not removed"
              + " from the group (the streams protocol has no static membership); their partitions move"
              + " after the session timeout");
    }
    return new Failover(
        config,
        streamsProps,
        enabled && advertised != null,
        advertised,
        assigned,
        userInstanceId != null,
        endpoint,
        probeServer);
  }

  /** The probe endpoint, for the admin server (it serves {@link PeerEndpoint#PATH} too). */
  public PeerEndpoint endpoint() {
    return endpoint;
  }

  /** Attaches the endpoint and, if enabled, starts probing peers. */
  public void start(KafkaStreams streams, MeterRegistry registry) {
    endpoint.attach(streams);
    if (endpoint.identity() == null) {
      LOG.warn(
          "kstatefun fail-over: the Kafka Streams process id is not visible in its metrics; peers"
              + " cannot fence this instance's producers");
    }
    if (!enabled) {
      return;
    }
    StreamsConfig streamsConfig = new StreamsConfig(streamsProps);
    String clientId = config.applicationId() + "-failover";
    actions =
        new FailoverActions(
            Admin.create(streamsConfig.getAdminConfigs(clientId)),
            streamsConfig.getProducerConfigs(clientId),
            config.applicationId(),
            Duration.ofSeconds(10),
            registry);
    monitor =
        new FailoverMonitor(
            streams,
            advertised,
            actions,
            Duration.ofMillis(config.getLong(KStatefunConfig.FAILOVER_PROBE_INTERVAL_MS_CONFIG)),
            Duration.ofMillis(config.getLong(KStatefunConfig.FAILOVER_PROBE_TIMEOUT_MS_CONFIG)),
            config.getInt(KStatefunConfig.FAILOVER_PROBE_CONFIRMATIONS_CONFIG));
    monitor.start();
  }

  /**
   * Whether a graceful close leaves the group: yes, unless the user chose static membership ({@code
   * group.instance.id}), which is meant to keep partitions across a restart.
   */
  public boolean leavesOnClose() {
    return !userStatic;
  }

  /** Stops probing and remembers this instance's own static members. */
  public void beforeClose() {
    if (monitor != null) {
      monitor.stopProbing();
    }
    PeerIdentity self = endpoint.identity();
    if (assignedInstanceId != null && self != null) {
      ownMembers = self.memberInstanceIds();
    }
  }

  /** After Kafka Streams closed: removes this instance's static members (if assigned), stops. */
  public void afterClose() {
    if (actions != null) {
      actions.leave(ownMembers);
    }
    close();
  }

  @Override
  public void close() {
    if (monitor != null) {
      monitor.close();
      monitor = null;
    } else if (actions != null) {
      actions.close();
    }
    actions = null;
    if (probeServer != null) {
      try {
        probeServer.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // closing anyway
      }
    }
  }

  /**
   * The user's {@code group.instance.id} (plain, consumer. or main.consumer. prefixed), or null.
   */
  static String userGroupInstanceId(Properties streamsProps) {
    String key = ConsumerConfig.GROUP_INSTANCE_ID_CONFIG;
    for (String k :
        List.of(StreamsConfig.mainConsumerPrefix(key), StreamsConfig.consumerPrefix(key), key)) {
      Object v = streamsProps.get(k);
      if (v != null && !v.toString().isBlank()) {
        return v.toString();
      }
    }
    return null;
  }

  /** Whether the main consumer uses the classic group protocol (kstatefun's default). */
  static boolean isClassicProtocol(Properties streamsProps) {
    Object v = streamsProps.get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
    return v == null || v.toString().trim().equalsIgnoreCase("classic");
  }
}
