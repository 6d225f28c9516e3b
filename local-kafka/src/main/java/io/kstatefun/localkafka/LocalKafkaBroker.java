package io.kstatefun.localkafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka node (KRaft, combined broker and controller) running inside this JVM,
 * listening on {@code 127.0.0.1} only.
 *
 * <p>By default it is a single-node cluster with a fresh temporary log directory (deleted by {@link
 * #close()}), free ports and a small footprint (few internal-topic partitions, a 2 MiB log cleaner
 * buffer, no initial rebalance delay, replication factor and min ISR 1). {@link #start()} formats
 * the log directory when it is not formatted yet (an existing one is reused, never reformatted) and
 * returns only once the broker is usable: a topic could be created and a first transaction (record
 * plus transactional offset commit) has committed and is visible to {@code read_committed} readers.
 * Freshly formatted brokers have been seen to fail their very first transactions, so that warm-up
 * is retried until it succeeds or the start-up timeout ends.
 *
 * <p>As one voter of a multi-node quorum ({@link Builder#quorumVoters(String)}), {@code start()}
 * only waits until this node is a live broker: the warm-up is then the cluster's job (see {@link
 * LocalKafkaCluster}), since internal topics need enough live brokers.
 *
 * <p>Broker loggers are raised to WARN unless configured explicitly (see {@link
 * Builder#quietLogging(boolean)}). Note that Kafka halts the JVM on some fatal broker errors (for
 * example a corrupted metadata log).
 *
 * <pre>{@code
 * try (LocalKafkaBroker kafka = LocalKafkaBroker.builder().start()) {
 *   kafka.createTopic("in", 4);
 *   String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class LocalKafkaBroker implements AutoCloseable {

  /**
   * File in the log directory where the node remembers its ports (the controller port is reused).
   */
  static final String NODE_STATE_FILE = "kstatefun-node.properties";

  /** Written by the Kafka storage tool when a log directory is formatted. */
  static final String META_PROPERTIES = "meta.properties";

  private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaBroker.class);
  private static final int MAX_BIND_ATTEMPTS = 3;

  private final int requestedPort;
  private final int requestedControllerPort;
  private final int nodeId;
  private final Path requestedLogDir;
  private final String quorumVoters;
  private final Map<Integer, Integer> voterControllerPorts;
  private final String requestedClusterId;
  private final Map<String, String> extraProperties;
  private final Duration startupTimeout;
  private final Duration shutdownTimeout;
  private final boolean quietLogging;

  private final AtomicBoolean startCalled = new AtomicBoolean();
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean closing;
  private volatile boolean ready;
  private volatile KafkaRaftServer server;
  private volatile CompletableFuture<Void> startup;
  private volatile int port;
  private volatile int controllerPort;
  private volatile Path logDir;
  private volatile boolean temporaryDir;
  private volatile String clusterId;
  private volatile Duration startupDuration;

  private LocalKafkaBroker(Builder b) {
    this.requestedPort = b.port;
    this.requestedControllerPort = b.controllerPort;
    this.nodeId = b.nodeId;
    this.requestedLogDir = b.logDir == null ? null : b.logDir.toAbsolutePath().normalize();
    this.quorumVoters = b.quorumVoters;
    this.voterControllerPorts = b.quorumVoters == null ? Map.of() : parseVoters(b.quorumVoters);
    this.requestedClusterId = b.clusterId;
    this.extraProperties = Map.copyOf(b.properties);
    this.startupTimeout = b.startupTimeout;
    this.shutdownTimeout = b.shutdownTimeout;
    this.quietLogging = b.quietLogging;
    if (quorumVoters != null) {
      Integer votedPort = voterControllerPorts.get(nodeId);
      if (votedPort == null) {
        throw new IllegalArgumentException(
            "node id " + nodeId + " is not among the quorum voters " + quorumVoters);
      }
      if (requestedControllerPort != 0 && requestedControllerPort != votedPort) {
        throw new IllegalArgumentException(
            "controller port "
                + requestedControllerPort
                + " differs from the port of node "
                + nodeId
                + " in the quorum voters "
                + quorumVoters);
      }
    }
  }

  /** A builder with the defaults: single node, free ports, temporary log directory. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the log directory if needed, starts the node and blocks until it is ready (see the
   * class comment), at most for the start-up timeout.
   *
   * @return this broker
   * @throws IllegalStateException if it does not get ready in time (the broker is closed then), or
   *     if it was started or closed before
   */
  public LocalKafkaBroker start() {
    if (!startCalled.compareAndSet(false, true)) {
      throw new IllegalStateException("this broker was already started");
    }
    if (closing) {
      throw new IllegalStateException("this broker was closed");
    }
    if (quietLogging) {
      BrokerLogging.quiet();
    }
    long t0 = System.nanoTime();
    long deadline = t0 + startupTimeout.toNanos();
    try {
      prepareLogDir();
      for (int attempt = 1; ; attempt++) {
        chooseControllerPort();
        // A free port is free again once probed: the broker's must differ from the controller's,
        // or Kafka refuses two listeners on one port (not a bind error, so not retried below).
        port = requestedPort != 0 ? requestedPort : KafkaSupport.freePortOtherThan(controllerPort);
        boolean freshlyFormatted = formatIfNeeded();
        try {
          startServer(deadline);
          break;
        } catch (RuntimeException e) {
          stopServer();
          boolean portsWereAuto =
              requestedPort == 0 || (requestedControllerPort == 0 && quorumVoters == null);
          if (freshlyFormatted
              && portsWereAuto
              && attempt < MAX_BIND_ATTEMPTS
              && KafkaSupport.hasCause(e, BindException.class)
              && !KafkaSupport.expired(deadline)
              && !closing) {
            LOG.info(
                "port clash while starting the local Kafka broker, retrying with other ports: {}",
                KafkaSupport.describe(e));
            wipeLogDir();
            continue;
          }
          throw e;
        }
      }
      if (!temporaryDir) {
        saveNodeState();
      }
      long serverStarted = System.nanoTime();
      if (quorumVoters == null) {
        BrokerAdmin.warmUp(bootstrapAddress(), deadline, () -> closing);
      } else {
        BrokerAdmin.awaitNodeReady(bootstrapAddress(), nodeId, deadline, () -> closing);
      }
      startupDuration = Duration.ofNanos(System.nanoTime() - t0);
      ready = true;
      LOG.info(
          "Kafka node {} ready at {} in {} ms ({} ms server start-up, {} ms {}; log dir {})",
          nodeId,
          bootstrapAddress(),
          startupDuration.toMillis(),
          (serverStarted - t0) / 1_000_000,
          (System.nanoTime() - serverStarted) / 1_000_000,
          quorumVoters == null ? "warm-up" : "readiness check",
          logDir);
      return this;
    } catch (RuntimeException | Error e) {
      boolean aborted = closing;
      close();
      throw new IllegalStateException(
          aborted
              ? "the local Kafka broker was closed while starting"
              : "the local Kafka broker failed to start (start-up timeout "
                  + startupTimeout.toSeconds()
                  + " s): "
                  + KafkaSupport.describe(e),
          e);
    }
  }

  /** {@code 127.0.0.1:PORT}, for the {@code bootstrap.servers} client setting. */
  public String bootstrapServers() {
    requireStarted();
    return bootstrapAddress();
  }

  /** The client (PLAINTEXT) port. */
  public int port() {
    requireStarted();
    return port;
  }

  /** The KRaft controller port. */
  public int controllerPort() {
    requireStarted();
    return controllerPort;
  }

  /** The KRaft node id ({@code node.id}). */
  public int nodeId() {
    return nodeId;
  }

  /** The log directory ({@code log.dirs}, also the metadata log directory). */
  public Path logDir() {
    requireStarted();
    return logDir;
  }

  /** The cluster id stored in the log directory's {@code meta.properties}. */
  public String clusterId() {
    requireStarted();
    return clusterId;
  }

  /** How long the last successful {@link #start()} took, warm-up included. */
  public Duration startupDuration() {
    requireStarted();
    return startupDuration;
  }

  /** True between a successful {@link #start()} and {@link #close()}. */
  public boolean isRunning() {
    return ready && !closing;
  }

  /**
   * Creates a topic with the broker's default replication factor and waits until every partition
   * has a leader.
   *
   * @throws IllegalStateException if it cannot be created (including when it exists already)
   */
  public void createTopic(String name, int partitions) {
    createTopics(Map.of(name, partitions));
  }

  /** Creates topics (name to partition count) like {@link #createTopic(String, int)}. */
  public void createTopics(Map<String, Integer> partitionsByTopic) {
    List<NewTopic> topics = new ArrayList<>();
    partitionsByTopic.forEach(
        (name, partitions) ->
            topics.add(new NewTopic(name, Optional.of(partitions), Optional.empty())));
    createTopics(topics);
  }

  /**
   * Creates topics as described (partitions, replication, configs) and waits until all have
   * leaders.
   */
  public void createTopics(Collection<NewTopic> topics) {
    BrokerAdmin.createTopics(bootstrapServers(), topics, Duration.ofSeconds(30));
  }

  /**
   * Shuts the broker down ({@code shutdown()} then {@code awaitShutdown()}, at most for the
   * shutdown timeout) and deletes the log directory if it is temporary. Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    if (!closeCalled.compareAndSet(false, true)) {
      awaitClosedQuietly(shutdownTimeout.plusSeconds(5));
      return;
    }
    try {
      CompletableFuture<Void> pending = startup;
      if (pending != null && !pending.isDone()) {
        try {
          pending.get(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
          // shut down whatever got started
        }
      }
      stopServer();
      if (temporaryDir) {
        KafkaSupport.deleteRecursively(logDir);
      }
    } finally {
      ready = false;
      closed.countDown();
    }
  }

  /** Blocks until {@link #close()} has finished (used by {@link KafkaServerMain}). */
  void awaitClosed() throws InterruptedException {
    closed.await();
  }

  private void awaitClosedQuietly(Duration max) {
    try {
      closed.await(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String bootstrapAddress() {
    return KafkaSupport.LOOPBACK + ":" + port;
  }

  private void requireStarted() {
    if (!startCalled.get() || logDir == null) {
      throw new IllegalStateException("the broker is not started");
    }
  }

  private void prepareLogDir() {
    try {
      if (requestedLogDir == null) {
        logDir = Files.createTempDirectory("kstatefun-kafka-");
        temporaryDir = true;
      } else {
        Files.createDirectories(requestedLogDir);
        logDir = requestedLogDir;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Kafka log directory", e);
    }
  }

  private void chooseControllerPort() {
    if (requestedControllerPort != 0) {
      controllerPort = requestedControllerPort;
    } else if (quorumVoters != null) {
      controllerPort = voterControllerPorts.get(nodeId);
    } else {
      Path state = logDir.resolve(NODE_STATE_FILE);
      String stored =
          Files.exists(state) && Files.exists(logDir.resolve(META_PROPERTIES))
              ? KafkaSupport.readProperties(state).getProperty("controller.port")
              : null;
      int storedPort = stored == null ? 0 : Integer.parseInt(stored.trim());
      // A standalone node accepts a changed controller port on restart, so a busy one is not fatal.
      controllerPort =
          storedPort != 0 && storedPort != requestedPort && KafkaSupport.isFree(storedPort)
              ? storedPort
              : KafkaSupport.freePortOtherThan(requestedPort);
    }
  }

  /** Formats the log directory unless it is formatted already; returns whether it formatted. */
  private boolean formatIfNeeded() {
    Path meta = logDir.resolve(META_PROPERTIES);
    if (Files.exists(meta)) {
      Properties stored = KafkaSupport.readProperties(meta);
      String storedId = stored.getProperty("cluster.id");
      if (requestedClusterId != null && !requestedClusterId.equals(storedId)) {
        throw new IllegalStateException(
            logDir + " belongs to cluster " + storedId + ", not " + requestedClusterId);
      }
      String storedNode = stored.getProperty("node.id");
      if (storedNode != null && Integer.parseInt(storedNode.trim()) != nodeId) {
        throw new IllegalStateException(
            logDir + " belongs to node " + storedNode + ", not " + nodeId);
      }
      clusterId = storedId;
      return false;
    }
    try (Stream<Path> entries = Files.list(logDir)) {
      List<String> foreign =
          entries
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.equals(NODE_STATE_FILE))
              .toList();
      if (!foreign.isEmpty()) {
        throw new IllegalStateException(
            logDir
                + " is not empty and not a formatted Kafka log directory (contains "
                + (foreign.size() > 5 ? foreign.subList(0, 5) + "..." : foreign)
                + ")");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + logDir, e);
    }
    if (quorumVoters != null && requestedClusterId == null) {
      throw new IllegalStateException(
          "a cluster id is required to format a node of a multi-node quorum");
    }
    clusterId = requestedClusterId != null ? requestedClusterId : Uuid.randomUuid().toString();
    Path configFile = null;
    try {
      configFile = Files.createTempFile("kstatefun-kafka-format-", ".properties");
      KafkaSupport.writeProperties(
          configFile, brokerProperties(), "generated for kafka-storage format");
      List<String> args =
          new ArrayList<>(List.of("format", "-t", clusterId, "-c", configFile.toString()));
      if (quorumVoters == null) {
        args.add("--standalone");
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int code;
      try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
        code = StorageTool.execute(args.toArray(new String[0]), out);
      }
      if (code != 0) {
        throw new IllegalStateException(
            "formatting "
                + logDir
                + " failed (exit code "
                + code
                + "): "
                + output.toString(StandardCharsets.UTF_8).trim());
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot format " + logDir, e);
    } finally {
      if (configFile != null) {
        try {
          Files.deleteIfExists(configFile);
        } catch (IOException ignored) {
          // a stray temp file
        }
      }
    }
  }

  private void wipeLogDir() {
    try (Stream<Path> entries = Files.list(logDir)) {
      entries.forEach(KafkaSupport::deleteRecursively);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + logDir, e);
    }
  }

  /** The broker configuration: defaults for a small local node, then the caller's properties. */
  Properties brokerProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    String host = KafkaSupport.LOOPBACK;
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(nodeId));
    p.put(
        "listeners",
        "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put(
        "advertised.listeners",
        "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    if (quorumVoters == null) {
      p.put("controller.quorum.bootstrap.servers", host + ":" + controllerPort);
    } else {
      p.put("controller.quorum.voters", quorumVoters);
    }
    p.put("log.dirs", logDir.toString());
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("share.coordinator.state.topic.num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("group.streams.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    // Abort the open transactions of a killed producer soon after they time out (default 10 s),
    // so read_committed readers are not held up long after a kill -9.
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("background.threads", "4");
    p.putAll(extraProperties);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }

  private void startServer(long deadline) {
    KafkaRaftServer s =
        new KafkaRaftServer(KafkaConfig.fromProps(brokerProperties(), false), Time.SYSTEM);
    server = s;
    CompletableFuture<Void> future = new CompletableFuture<>();
    startup = future;
    Thread starter =
        new Thread(
            () -> {
              try {
                s.startup();
                future.complete(null);
              } catch (Throwable t) {
                future.completeExceptionally(t);
              }
            },
            "kstatefun-kafka-startup-" + nodeId);
    starter.setDaemon(true);
    starter.start();
    try {
      future.get(KafkaSupport.remainingMillis(deadline), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("Kafka server start-up failed", cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out: KafkaRaftServer.startup() did not return", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Kafka", e);
    }
  }

  private void stopServer() {
    KafkaRaftServer s = server;
    server = null;
    if (s == null) {
      return;
    }
    Thread stopper =
        new Thread(
            () -> {
              try {
                s.shutdown();
                s.awaitShutdown();
              } catch (Throwable t) {
                LOG.warn(
                    "error while shutting down Kafka node {}: {}",
                    nodeId,
                    KafkaSupport.describe(t));
              }
            },
            "kstatefun-kafka-shutdown-" + nodeId);
    stopper.setDaemon(true);
    stopper.start();
    try {
      stopper.join(shutdownTimeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (stopper.isAlive()) {
      LOG.warn(
          "Kafka node {} did not shut down within {} s; giving up on it",
          nodeId,
          shutdownTimeout.toSeconds());
    }
  }

  private void saveNodeState() {
    Properties state = new Properties();
    state.setProperty("node.id", Integer.toString(nodeId));
    state.setProperty("port", Integer.toString(port));
    state.setProperty("controller.port", Integer.toString(controllerPort));
    KafkaSupport.writeProperties(
        logDir.resolve(NODE_STATE_FILE),
        state,
        "kstatefun local Kafka node; the controller port is reused on restart");
  }

  /** Parses {@code id@host:port,...} into node id to controller port. */
  static Map<Integer, Integer> parseVoters(String voters) {
    Map<Integer, Integer> ports = new LinkedHashMap<>();
    for (String entry : voters.split(",")) {
      String e = entry.trim();
      int at = e.indexOf('@');
      int colon = e.lastIndexOf(':');
      if (at <= 0 || colon <= at + 1 || colon == e.length() - 1) {
        throw new IllegalArgumentException("bad quorum voter '" + e + "', expected id@host:port");
      }
      try {
        ports.put(Integer.parseInt(e.substring(0, at)), Integer.parseInt(e.substring(colon + 1)));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(
            "bad quorum voter '" + e + "', expected id@host:port", ex);
      }
    }
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("no quorum voters in '" + voters + "'");
    }
    return ports;
  }

  /** Options of a {@link LocalKafkaBroker}; every one has a default. */
  public static final class Builder {
    private int port;
    private int controllerPort;
    private int nodeId = 1;
    private Path logDir;
    private String quorumVoters;
    private String clusterId;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private Duration startupTimeout = Duration.ofSeconds(120);
    private Duration shutdownTimeout = Duration.ofSeconds(60);
    private boolean quietLogging = true;

    private Builder() {}

    /** Client port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    /**
     * KRaft controller port; 0 (the default) takes the node's port from the quorum voters, else
     * reuses the one remembered in a persistent log directory if free, else picks a free one.
     */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = checkPort(controllerPort);
      return this;
    }

    /**
     * A persistent log directory, created if missing, formatted if empty, reused as is if already
     * formatted; never deleted. Default: a temporary directory deleted on close.
     */
    public Builder logDir(Path logDir) {
      this.logDir = Objects.requireNonNull(logDir, "logDir");
      return this;
    }

    /** KRaft {@code node.id}, default 1. */
    public Builder nodeId(int nodeId) {
      if (nodeId < 0) {
        throw new IllegalArgumentException("node id must not be negative");
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * Makes this node one voter of a static multi-node quorum, {@code 1@127.0.0.1:PORT,2@...};
     * needs {@link #clusterId(String)} to format. Default: a standalone single-node quorum.
     */
    public Builder quorumVoters(String voters) {
      parseVoters(Objects.requireNonNull(voters, "voters"));
      this.quorumVoters = voters.trim();
      return this;
    }

    /**
     * Cluster id used when formatting; default random. Must match an already formatted directory.
     */
    public Builder clusterId(String clusterId) {
      this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
      return this;
    }

    /** Sets one broker property, overriding the defaults. */
    public Builder brokerProperty(String key, String value) {
      properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Sets broker properties, overriding the defaults. */
    public Builder brokerProperties(Map<String, String> props) {
      props.forEach(this::brokerProperty);
      return this;
    }

    /** Bound of {@link LocalKafkaBroker#start()}, warm-up included; default 120 s. */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = positive(timeout);
      return this;
    }

    /** Bound of {@link LocalKafkaBroker#close()}; default 60 s. */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout);
      return this;
    }

    /**
     * Whether to raise not explicitly configured broker loggers to WARN (log4j2 only); default
     * true.
     */
    public Builder quietLogging(boolean quiet) {
      this.quietLogging = quiet;
      return this;
    }

    /** Builds an unstarted broker. */
    public LocalKafkaBroker build() {
      return new LocalKafkaBroker(this);
    }

    /** Builds and {@link LocalKafkaBroker#start() starts} the broker. */
    public LocalKafkaBroker start() {
      return build().start();
    }

    private static int checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("bad port " + port);
      }
      return port;
    }

    private static Duration positive(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      return d;
    }
  }
}
