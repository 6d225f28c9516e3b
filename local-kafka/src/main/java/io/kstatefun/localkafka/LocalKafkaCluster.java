package io.kstatefun.localkafka;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local multi-node Kafka cluster on 127.0.0.1: N KRaft nodes, each a combined broker and
 * controller and a voter of a static quorum ({@code controller.quorum.voters}), all formatted with
 * the same cluster id. Meant for broker-loss (chaos) tests: a node can be stopped (SIGTERM or
 * SIGKILL) and started again on the same log directory and ports.
 *
 * <p>By default ({@link Mode#PROCESSES}) every node is its own JVM running {@link KafkaServerMain}
 * with this JVM's class path; its output goes to {@code <baseDir>/node-<id>.log}. The children exit
 * when this JVM exits. {@link Mode#IN_JVM} runs the nodes as {@link LocalKafkaBroker}s in this JVM
 * instead (no SIGKILL then).
 *
 * <p>Defaults for 3 nodes: replication factor 3 and min ISR 2 for data topics ({@code
 * default.replication.factor}, {@code min.insync.replicas}) and for the internal topics. Kafka's
 * own failure detection applies: a killed node is fenced (and leaves every ISR) after {@code
 * broker.session.timeout.ms} (9 s by default).
 *
 * <p>{@link #start()} starts the nodes concurrently (the quorum needs a majority) and returns once
 * a warm-up transaction has committed on the whole cluster. {@link #close()} stops all nodes
 * concurrently (a sequential shutdown stalls: the last nodes wait for a quorum that is gone).
 */
public final class LocalKafkaCluster implements AutoCloseable {

  /** How the nodes run. */
  public enum Mode {
    /** One child JVM per node (default): nodes can be killed with SIGKILL. */
    PROCESSES,
    /** All nodes inside this JVM; stopping a node is always a clean shutdown. */
    IN_JVM
  }

  private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaCluster.class);

  private final Mode mode;
  private final int size;
  private final int replicationFactor;
  private final int minInsyncReplicas;
  private final Path requestedBaseDir;
  private final Map<String, String> extraProperties;
  private final List<String> jvmOptions;
  private final Duration startupTimeout;
  private final Duration shutdownTimeout;

  private final AtomicBoolean startCalled = new AtomicBoolean();
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private volatile boolean closing;
  private final Map<Integer, Node> nodes = new LinkedHashMap<>();
  private Path baseDir;
  private boolean temporaryDir;
  private String clusterId;
  private String voters;
  private Thread killChildrenHook;
  private Duration startupDuration;

  private LocalKafkaCluster(Builder b) {
    this.mode = b.mode;
    this.size = b.nodes;
    this.replicationFactor = b.replicationFactor > 0 ? b.replicationFactor : Math.min(3, b.nodes);
    this.minInsyncReplicas =
        b.minInsyncReplicas > 0 ? b.minInsyncReplicas : Math.max(1, replicationFactor - 1);
    if (replicationFactor > size) {
      throw new IllegalArgumentException(
          "replication factor " + replicationFactor + " > " + size + " nodes");
    }
    if (minInsyncReplicas > replicationFactor) {
      throw new IllegalArgumentException(
          "min ISR " + minInsyncReplicas + " > replication factor " + replicationFactor);
    }
    this.requestedBaseDir = b.baseDir == null ? null : b.baseDir.toAbsolutePath().normalize();
    this.extraProperties = Map.copyOf(b.properties);
    this.jvmOptions = List.copyOf(b.jvmOptions);
    this.startupTimeout = b.startupTimeout;
    this.shutdownTimeout = b.shutdownTimeout;
  }

  /** A builder; defaults: 3 nodes, one process each, temporary base directory. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats and starts every node concurrently and waits until a warm-up transaction has committed.
   *
   * @return this cluster
   * @throws IllegalStateException if it is not ready within the start-up timeout (it is closed
   *     then)
   */
  public LocalKafkaCluster start() {
    if (!startCalled.compareAndSet(false, true)) {
      throw new IllegalStateException("this cluster was already started");
    }
    long t0 = System.nanoTime();
    long deadline = t0 + startupTimeout.toNanos();
    try {
      if (requestedBaseDir == null) {
        baseDir = Files.createTempDirectory("kstatefun-kafka-cluster-");
        temporaryDir = true;
      } else {
        baseDir = Files.createDirectories(requestedBaseDir);
      }
      clusterId = Uuid.randomUuid().toString();
      int[] ports = KafkaSupport.freePorts(2 * size);
      List<String> voterList = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        voterList.add((i + 1) + "@" + KafkaSupport.LOOPBACK + ":" + ports[size + i]);
      }
      voters = String.join(",", voterList);
      if (mode == Mode.PROCESSES) {
        killChildrenHook = new Thread(this::killAllForcibly, "kstatefun-kafka-cluster-reaper");
        Runtime.getRuntime().addShutdownHook(killChildrenHook);
      }
      for (int i = 0; i < size; i++) {
        int id = i + 1;
        Path dir = baseDir.resolve("node-" + id);
        nodes.put(
            id,
            mode == Mode.PROCESSES
                ? new ProcessNode(id, ports[i], ports[size + i], dir)
                : new InJvmNode(id, ports[i], ports[size + i], dir));
      }
      forEachConcurrently(nodes.values(), node -> node.start(deadline));
      BrokerAdmin.warmUp(bootstrapServers(), deadline, () -> closing);
      startupDuration = Duration.ofNanos(System.nanoTime() - t0);
      LOG.info(
          "Kafka cluster of {} nodes ({}) ready at {} in {} ms",
          size,
          mode,
          bootstrapServers(),
          startupDuration.toMillis());
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot create the cluster directory", e);
    } catch (RuntimeException | Error e) {
      close();
      throw new IllegalStateException(
          "the local Kafka cluster failed to start (start-up timeout "
              + startupTimeout.toSeconds()
              + " s): "
              + KafkaSupport.describe(e),
          e);
    }
  }

  /** All nodes' client addresses, {@code 127.0.0.1:P1,127.0.0.1:P2,...}. */
  public String bootstrapServers() {
    requireStarted();
    return nodes.values().stream()
        .map(n -> KafkaSupport.LOOPBACK + ":" + n.port)
        .collect(Collectors.joining(","));
  }

  /** One node's client address, {@code 127.0.0.1:PORT}. */
  public String bootstrapServers(int nodeId) {
    return KafkaSupport.LOOPBACK + ":" + node(nodeId).port;
  }

  /** Number of nodes. */
  public int size() {
    return size;
  }

  /** The node ids, 1 to {@link #size()}. */
  public List<Integer> nodeIds() {
    requireStarted();
    return List.copyOf(nodes.keySet());
  }

  /** The cluster id all nodes were formatted with. */
  public String clusterId() {
    requireStarted();
    return clusterId;
  }

  /**
   * The directory holding the nodes' log directories ({@code node-<id>}) and, for processes, their
   * output.
   */
  public Path baseDir() {
    requireStarted();
    return baseDir;
  }

  /** The output file of a node's process ({@link Mode#PROCESSES}); empty in {@link Mode#IN_JVM}. */
  public Optional<Path> nodeOutput(int nodeId) {
    return node(nodeId) instanceof ProcessNode p ? Optional.of(p.output) : Optional.empty();
  }

  /** The replication factor used for data and internal topics. */
  public int replicationFactor() {
    return replicationFactor;
  }

  /** How long {@link #start()} took, warm-up included. */
  public Duration startupDuration() {
    requireStarted();
    return startupDuration;
  }

  /** Whether the node is running (started and not stopped). */
  public boolean isRunning(int nodeId) {
    return node(nodeId).isRunning();
  }

  /**
   * Stops one node and waits until it is gone. {@code kill} sends SIGKILL (an unclean crash, {@link
   * Mode#PROCESSES} only); otherwise a clean shutdown (SIGTERM for a process). No-op if the node is
   * not running.
   */
  public void stopNode(int nodeId, boolean kill) {
    Node node = node(nodeId);
    if (kill && mode != Mode.PROCESSES) {
      throw new UnsupportedOperationException("killing a node needs Mode.PROCESSES");
    }
    node.stop(kill);
  }

  /** Same as {@code stopNode(nodeId, true)}: SIGKILL. */
  public void killNode(int nodeId) {
    stopNode(nodeId, true);
  }

  /**
   * Starts a stopped node again on its log directory and ports and waits until it is a live broker
   * (it may still be catching up: see {@link #awaitFullyReplicated(Duration)}).
   */
  public void startNode(int nodeId) {
    Node node = node(nodeId);
    if (node.isRunning()) {
      throw new IllegalStateException("node " + nodeId + " is running");
    }
    node.start(System.nanoTime() + startupTimeout.toNanos());
  }

  /**
   * Creates a topic with the cluster's replication factor; waits until every partition has a
   * leader.
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
   * Waits until every partition of every topic (internal ones included) has all its replicas in
   * sync.
   */
  public void awaitFullyReplicated(Duration timeout) {
    BrokerAdmin.awaitFullyReplicated(bootstrapServers(), timeout);
  }

  /**
   * Stops all nodes concurrently (cleanly, bounded) and deletes the base directory if temporary.
   * Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    if (!closeCalled.compareAndSet(false, true)) {
      return;
    }
    try {
      forEachConcurrently(nodes.values(), node -> node.stop(false));
    } catch (RuntimeException e) {
      LOG.warn("error while stopping the Kafka cluster: {}", KafkaSupport.describe(e));
      killAllForcibly();
    } finally {
      if (killChildrenHook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(killChildrenHook);
        } catch (IllegalStateException e) {
          // already shutting down
        }
      }
      if (temporaryDir) {
        KafkaSupport.deleteRecursively(baseDir);
      }
    }
  }

  private void killAllForcibly() {
    for (Node node : nodes.values()) {
      if (node instanceof ProcessNode p) {
        p.destroyForcibly();
      }
    }
  }

  private Node node(int nodeId) {
    requireStarted();
    Node node = nodes.get(nodeId);
    if (node == null) {
      throw new IllegalArgumentException("no node " + nodeId + " (ids are 1.." + size + ")");
    }
    return node;
  }

  private void requireStarted() {
    if (!startCalled.get() || baseDir == null) {
      throw new IllegalStateException("the cluster is not started");
    }
  }

  private Map<String, String> nodeProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    String rf = Integer.toString(replicationFactor);
    String isr = Integer.toString(minInsyncReplicas);
    p.put("default.replication.factor", rf);
    p.put("min.insync.replicas", isr);
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.put("offsets.topic.replication.factor", rf);
    p.put("transaction.state.log.replication.factor", rf);
    p.put("transaction.state.log.min.isr", isr);
    p.put("share.coordinator.state.topic.replication.factor", rf);
    p.put("share.coordinator.state.topic.min.isr", isr);
    p.putAll(extraProperties);
    return p;
  }

  private static <T> void forEachConcurrently(Collection<T> items, Consumer<T> action) {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (T item : items) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  action.accept(item);
                  f.complete(null);
                } catch (Throwable e) {
                  f.completeExceptionally(e);
                }
              },
              "kstatefun-kafka-cluster-op");
      t.setDaemon(true);
      t.start();
      futures.add(f);
    }
    RuntimeException failure = null;
    for (CompletableFuture<Void> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        RuntimeException re =
            cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        if (failure == null) {
          failure = re;
        } else {
          failure.addSuppressed(re);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** One node of the cluster. */
  private abstract static class Node {
    final int id;
    final int port;
    final int controllerPort;
    final Path dir;

    Node(int id, int port, int controllerPort, Path dir) {
      this.id = id;
      this.port = port;
      this.controllerPort = controllerPort;
      this.dir = dir;
    }

    abstract void start(long deadlineNanos);

    abstract void stop(boolean kill);

    abstract boolean isRunning();
  }

  /** A node running in this JVM. */
  private final class InJvmNode extends Node {
    private LocalKafkaBroker broker;

    InJvmNode(int id, int port, int controllerPort, Path dir) {
      super(id, port, controllerPort, dir);
    }

    @Override
    synchronized void start(long deadlineNanos) {
      broker =
          LocalKafkaBroker.builder()
              .nodeId(id)
              .port(port)
              .controllerPort(controllerPort)
              .logDir(dir)
              .quorumVoters(voters)
              .clusterId(clusterId)
              .brokerProperties(nodeProperties())
              .startupTimeout(
                  Duration.ofNanos(
                      Math.max(1_000_000_000L, KafkaSupport.remainingNanos(deadlineNanos))))
              .shutdownTimeout(shutdownTimeout)
              .start();
    }

    @Override
    synchronized void stop(boolean kill) {
      if (broker != null) {
        broker.close();
        broker = null;
      }
    }

    @Override
    synchronized boolean isRunning() {
      return broker != null && broker.isRunning();
    }
  }

  /** A node running as a child JVM ({@link KafkaServerMain}). */
  private final class ProcessNode extends Node {
    private static final int TAIL_LINES = 40;
    final Path output;
    private Process process;
    private Thread pump;

    ProcessNode(int id, int port, int controllerPort, Path dir) {
      super(id, port, controllerPort, dir);
      this.output = dir.resolveSibling("node-" + id + ".log");
    }

    @Override
    synchronized void start(long deadlineNanos) {
      List<String> command = new ArrayList<>();
      command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      for (String key : List.of("log4j2.configurationFile", "log4j.configurationFile")) {
        String value = System.getProperty(key);
        if (value != null) {
          command.add("-D" + key + "=" + value);
        }
      }
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(KafkaServerMain.class.getName());
      command.addAll(
          List.of(
              "--node-id",
              Integer.toString(id),
              "--port",
              Integer.toString(port),
              "--controller-port",
              Integer.toString(controllerPort),
              "--dir",
              dir.toString(),
              "--voters",
              voters,
              "--cluster-id",
              clusterId,
              "--parent-pid",
              Long.toString(ProcessHandle.current().pid()),
              "--startup-timeout",
              Long.toString(
                  Math.max(
                      10,
                      TimeUnit.NANOSECONDS.toSeconds(
                          KafkaSupport.remainingNanos(deadlineNanos))))));
      nodeProperties().forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));

      CompletableFuture<Void> ready = new CompletableFuture<>();
      Deque<String> tail = new ArrayDeque<>();
      Process p;
      BufferedWriter log = null;
      try {
        log =
            Files.newBufferedWriter(
                output,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        log.write("==== " + Instant.now() + " starting node " + id + System.lineSeparator());
        log.flush();
        p = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        closeQuietly(log);
        throw new UncheckedIOException("cannot start Kafka node " + id, e);
      }
      process = p;
      BufferedWriter sink = log;
      pump =
          new Thread(
              () -> pumpOutput(p, sink, tail, ready), "kstatefun-kafka-node-" + id + "-output");
      pump.setDaemon(true);
      pump.start();
      try {
        ready.get(KafkaSupport.remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        destroyForcibly();
        String lastLines;
        synchronized (tail) {
          lastLines = String.join(System.lineSeparator(), tail);
        }
        throw new IllegalStateException(
            "Kafka node "
                + id
                + " did not get ready"
                + (e instanceof TimeoutException ? " in time" : ": " + e.getCause().getMessage())
                + "; last output ("
                + output
                + "):"
                + System.lineSeparator()
                + lastLines,
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        destroyForcibly();
        throw new IllegalStateException("interrupted while starting Kafka node " + id, e);
      }
    }

    private void pumpOutput(
        Process p, BufferedWriter log, Deque<String> tail, CompletableFuture<Void> ready) {
      try (log;
          BufferedReader in =
              new BufferedReader(
                  new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          log.write(line);
          log.newLine();
          log.flush();
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > TAIL_LINES) {
              tail.removeFirst();
            }
          }
          if (line.startsWith(KafkaServerMain.READY_PREFIX)) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        // the process went away
      } finally {
        ready.completeExceptionally(
            new IllegalStateException(
                "the process exited" + (p.isAlive() ? "" : " with code " + exitCodeOf(p))));
      }
    }

    private void closeQuietly(BufferedWriter writer) {
      if (writer != null) {
        try {
          writer.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
    }

    private int exitCodeOf(Process p) {
      try {
        return p.waitFor(1, TimeUnit.SECONDS) ? p.exitValue() : -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    @Override
    synchronized void stop(boolean kill) {
      Process p = process;
      if (p == null) {
        return;
      }
      if (kill) {
        p.destroyForcibly();
      } else {
        p.destroy();
      }
      try {
        if (!p.waitFor(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn(
              "Kafka node {} did not stop within {} s after SIGTERM; killing it",
              id,
              shutdownTimeout.toSeconds());
          p.destroyForcibly();
          p.waitFor(30, TimeUnit.SECONDS);
        }
        if (pump != null) {
          pump.join(5_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
      process = null;
      pump = null;
    }

    /** Not synchronized: also called from the JVM shutdown hook. */
    void destroyForcibly() {
      Process p = process;
      if (p != null) {
        p.destroyForcibly();
      }
    }

    @Override
    synchronized boolean isRunning() {
      return process != null && process.isAlive();
    }
  }

  /** Options of a {@link LocalKafkaCluster}. */
  public static final class Builder {
    private Mode mode = Mode.PROCESSES;
    private int nodes = 3;
    private int replicationFactor;
    private int minInsyncReplicas;
    private Path baseDir;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final List<String> jvmOptions =
        new ArrayList<>(
            List.of(
                "-Xms64m",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true"));
    private Duration startupTimeout = Duration.ofSeconds(180);
    private Duration shutdownTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /** Number of nodes (each a broker and a quorum voter), default 3. */
    public Builder nodes(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("at least one node");
      }
      this.nodes = count;
      return this;
    }

    /** {@link Mode#PROCESSES} (default) or {@link Mode#IN_JVM}. */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Replication factor for data and internal topics; default min(3, nodes). */
    public Builder replicationFactor(int rf) {
      this.replicationFactor = rf;
      return this;
    }

    /** Min ISR for data and internal topics; default replication factor - 1 (at least 1). */
    public Builder minInsyncReplicas(int minIsr) {
      this.minInsyncReplicas = minIsr;
      return this;
    }

    /** Directory for the nodes' log directories; default a temporary one, deleted on close. */
    public Builder baseDir(Path dir) {
      this.baseDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Sets one broker property on every node, overriding the defaults. */
    public Builder brokerProperty(String key, String value) {
      properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Sets broker properties on every node, overriding the defaults. */
    public Builder brokerProperties(Map<String, String> props) {
      props.forEach(this::brokerProperty);
      return this;
    }

    /**
     * JVM options of the node processes, replacing the default {@code -Xms64m -Xmx512m
     * -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}.
     */
    public Builder jvmOptions(List<String> options) {
      jvmOptions.clear();
      jvmOptions.addAll(options);
      return this;
    }

    /**
     * Bound of {@link LocalKafkaCluster#start()} and of each {@link
     * LocalKafkaCluster#startNode(int)}; default 180 s.
     */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = positive(timeout);
      return this;
    }

    /** Bound of stopping one node cleanly before it is killed; default 60 s. */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout);
      return this;
    }

    /** Builds an unstarted cluster. */
    public LocalKafkaCluster build() {
      return new LocalKafkaCluster(this);
    }

    /** Builds and {@link LocalKafkaCluster#start() starts} the cluster. */
    public LocalKafkaCluster start() {
      return build().start();
    }

    private static Duration positive(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      return d;
    }
  }
}
