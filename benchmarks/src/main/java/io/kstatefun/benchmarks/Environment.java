package io.kstatefun.benchmarks;

import io.kstatefun.localkafka.KafkaServerMain;
import io.kstatefun.localkafka.LocalKafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * What all runs of one benchmark invocation share: the broker (started as a child JVM, in this JVM,
 * or attached to), an admin client, the work directory, and how the function server and the runtime
 * are provided (started per run, or attached to running ones).
 */
final class Environment implements AutoCloseable {

  /**
   * How the system under test is provided.
   *
   * @param workDir state directories, module files and logs
   * @param bootstrap an existing broker to use, or null to start one
   * @param brokerInProcess start the broker in this JVM instead of a child JVM
   * @param functionsUrl a running function server's URL to use, or null to start one per run
   * @param attachRuntime use a runtime that is already running (needs the topics below)
   * @param runtimeInProcess run the runtime (and the function server) in this JVM
   * @param ingressTopic ingress topic of an attached runtime
   * @param egressTopic egress topic of an attached runtime / function server
   * @param attachedPids pids of attached processes to account CPU for, by name
   * @param runtimeJvm JVM options of the runtime and baseline JVMs
   * @param freshJvm JVM options of a runtime JVM started for a fresh-start run
   * @param freshCds with fresh-start runs, class data sharing for runtime JVMs as in bin/kstatefun
   * @param peerHome where the peer systems (Restate, StateFun) are installed, outside the
   *     repository
   */
  record Options(
      Path workDir,
      String bootstrap,
      boolean brokerInProcess,
      String functionsUrl,
      boolean attachRuntime,
      boolean runtimeInProcess,
      String ingressTopic,
      String egressTopic,
      Map<String, Long> attachedPids,
      List<String> runtimeJvm,
      List<String> freshJvm,
      boolean freshCds,
      Path peerHome) {}

  private final Options options;
  private final Path logDir;
  private ChildJvm brokerJvm;
  private ChildJvm functionsHost;
  private ChildJvm runtimeHost;
  private ChildJvm baselineHost;
  private LocalKafkaBroker brokerInProcess;
  private final String bootstrap;
  private final Admin admin;
  private java.nio.file.Path cdsArchive;

  Environment(Options options) throws IOException, InterruptedException {
    this.options = options;
    Files.createDirectories(options.workDir());
    this.logDir = options.workDir().resolve("logs");
    Files.createDirectories(logDir);
    if (options.bootstrap() != null) {
      bootstrap = options.bootstrap();
    } else if (options.brokerInProcess()) {
      brokerInProcess =
          LocalKafkaBroker.builder().logDir(options.workDir().resolve("kafka")).start();
      bootstrap = brokerInProcess.bootstrapServers();
    } else {
      Path dir = options.workDir().resolve("kafka");
      deleteRecursively(dir);
      brokerJvm =
          ChildJvm.start(
              "broker",
              List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC"),
              KafkaServerMain.class.getName(),
              List.of(
                  "--dir",
                  dir.toString(),
                  "--port",
                  "0",
                  "--parent-pid",
                  Long.toString(ProcessHandle.current().pid())),
              logDir,
              KafkaServerMain.READY_PREFIX,
              Duration.ofMinutes(3));
      bootstrap = brokerJvm.readyLine().substring(KafkaServerMain.READY_PREFIX.length()).trim();
    }
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /** The function server JVM, started on first use and kept for all runs. */
  synchronized ChildJvm functionsHost() throws IOException, InterruptedException {
    if (functionsHost == null || !functionsHost.isAlive()) {
      functionsHost =
          ChildJvm.start(
              "functions",
              List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC"),
              Bench.class.getName(),
              List.of("functions"),
              logDir,
              ChildJvm.PROTOCOL_PREFIX + "ready",
              Duration.ofMinutes(1));
    }
    return functionsHost;
  }

  /**
   * Fresh-start runs follow: unless {@link Options#freshCds} is off, runtime JVMs use class data
   * sharing as bin/kstatefun does (the first one records the archive, fresh ones map it).
   */
  synchronized void prepareFreshStarts() throws IOException {
    if (options.freshCds()) {
      java.nio.file.Path dir = options.workDir().resolve("cds");
      Files.createDirectories(dir);
      cdsArchive = FreshStart.cdsArchive(dir);
    }
  }

  private List<String> withCds(List<String> jvm) {
    if (cdsArchive == null) {
      return jvm;
    }
    List<String> all = new ArrayList<>(jvm);
    all.addAll(FreshStart.cdsOptions(cdsArchive));
    return all;
  }

  /** The JVM that runs kstatefun runtime instances, started on first use and kept for all runs. */
  synchronized ChildJvm runtimeHost() throws IOException, InterruptedException {
    if (runtimeHost == null || !runtimeHost.isAlive()) {
      runtimeHost =
          ChildJvm.start(
              "runtime-host",
              withCds(options.runtimeJvm()),
              Bench.class.getName(),
              List.of("runtime-host"),
              logDir,
              ChildJvm.PROTOCOL_PREFIX + "ready",
              Duration.ofMinutes(1));
    }
    return runtimeHost;
  }

  /**
   * A new runtime host JVM for a fresh-start run, with {@link Options#freshJvm} options; it
   * replaces the current runtime host (stopped first), so later runs use it too.
   */
  synchronized ChildJvm freshRuntimeHost(String name) throws IOException, InterruptedException {
    closeRuntimeHost();
    runtimeHost =
        ChildJvm.start(
            name,
            withCds(options.freshJvm()),
            Bench.class.getName(),
            List.of("runtime-host"),
            logDir,
            ChildJvm.PROTOCOL_PREFIX + "ready",
            Duration.ofMinutes(1));
    return runtimeHost;
  }

  /** Stops the runtime host JVM, if any (a fresh-start run stops it before its clock starts). */
  synchronized void closeRuntimeHost() {
    if (runtimeHost != null) {
      runtimeHost.close();
      runtimeHost = null;
    }
  }

  /** The JVM that runs baseline applications, started on first use and kept for all runs. */
  synchronized ChildJvm baselineHost() throws IOException, InterruptedException {
    if (baselineHost == null || !baselineHost.isAlive()) {
      baselineHost =
          ChildJvm.start(
              "baseline-host",
              options.runtimeJvm(),
              Bench.class.getName(),
              List.of("baseline-host"),
              logDir,
              ChildJvm.PROTOCOL_PREFIX + "ready",
              Duration.ofMinutes(1));
    }
    return baselineHost;
  }

  Options options() {
    return options;
  }

  String bootstrap() {
    return bootstrap;
  }

  Path logDir() {
    return logDir;
  }

  Path workDir() {
    return options.workDir();
  }

  Admin admin() {
    return admin;
  }

  /** Processes whose CPU is always accounted: the broker and attached processes. */
  Map<String, Long> fixedPids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    if (brokerJvm != null) {
      pids.put("broker", brokerJvm.pid());
    }
    pids.putAll(options.attachedPids());
    return pids;
  }

  void createTopics(Map<String, Integer> partitionsByTopic) throws Exception {
    List<NewTopic> topics = new ArrayList<>();
    partitionsByTopic.forEach((t, p) -> topics.add(new NewTopic(t, p, (short) 1)));
    admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
    // The broker learns about new topics shortly after the controller created them: wait until it
    // describes them, or a runtime started right away may not find its ingress topic.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        admin.describeTopics(partitionsByTopic.keySet()).allTopicNames().get(10, TimeUnit.SECONDS);
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  /** Deletes every topic whose name starts with one of {@code prefixes}. */
  void deleteTopics(List<String> prefixes) {
    try {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<String> doomed = new ArrayList<>();
      for (String n : names) {
        for (String p : prefixes) {
          if (n.startsWith(p)) {
            doomed.add(n);
            break;
          }
        }
      }
      if (!doomed.isEmpty()) {
        admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      Bench.log("could not delete topics " + prefixes + ": " + e);
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public void close() {
    for (ChildJvm host : new ChildJvm[] {runtimeHost, baselineHost, functionsHost}) {
      if (host != null) {
        host.close();
      }
    }
    admin.close(Duration.ofSeconds(10));
    if (brokerJvm != null) {
      brokerJvm.terminate();
    }
    if (brokerInProcess != null) {
      brokerInProcess.close();
    }
  }
}
