package io.kstatefun.benchmarks.statefun;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;
import org.apache.flink.statefun.flink.core.StatefulFunctionsConfig;
import org.apache.flink.statefun.flink.core.StatefulFunctionsJob;
import org.apache.flink.statefun.flink.core.StatefulFunctionsUniverseProvider;
import org.apache.flink.statefun.flink.core.StatefulFunctionsUniverses;
import org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The StateFun 3.3.0 job of the benchmark's StateFun peer: the StateFun runtime on a Flink 1.16
 * MiniCluster in this JVM, with the module of the run (Kafka ingress, remote HTTP functions,
 * exactly-once Kafka egress) and periodic checkpoints (the exactly-once egress commits on each).
 *
 * <p>Arguments: {@code MODULE_YAML PARALLELISM CHECKPOINT_INTERVAL_MS STATE_BACKEND
 * CHECKPOINT_DIR}. Prints {@code BENCH ready <jobId>} once the job is submitted; cancels the job
 * and exits when its standard input closes or on SIGTERM.
 */
public final class StatefunJobMain {

  private StatefunJobMain() {}

  public static void main(String[] args) throws Exception {
    Path module = Path.of(args[0]).toAbsolutePath();
    int parallelism = Integer.parseInt(args[1]);
    long checkpointMs = Long.parseLong(args[2]);
    String backend = args[3];
    Path checkpoints = Path.of(args[4]).toAbsolutePath();

    Configuration flink = new Configuration();
    flink.set(StateBackendOptions.STATE_BACKEND, backend);
    flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    flink.set(
        ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL,
        java.time.Duration.ofMillis(checkpointMs));
    flink.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    flink.setString(
        CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL.key(),
        "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf");
    flink.setString("statefun.remote.module-name", module.toUri().toString());
    flink.setString("statefun.flink-job-name", "kstatefun-bench-statefun");

    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(parallelism, flink);
    CompletableFuture<JobClient> client = new CompletableFuture<>();
    env.registerJobListener(
        new JobListener() {
          @Override
          public void onJobSubmitted(JobClient jobClient, Throwable throwable) {
            if (throwable != null) {
              client.completeExceptionally(throwable);
            } else {
              client.complete(jobClient);
            }
          }

          @Override
          public void onJobExecuted(
              org.apache.flink.api.common.JobExecutionResult result, Throwable throwable) {}
        });

    StatefulFunctionsConfig statefun = StatefulFunctionsConfig.fromFlinkConfiguration(flink);
    // What StatefulFunctionsJob.main(String...) sets; the provider class is package-private.
    Constructor<?> provider =
        Class.forName(StatefulFunctionsUniverses.class.getName() + "$ClassPathUniverseProvider")
            .getDeclaredConstructor();
    provider.setAccessible(true);
    statefun.setProvider((StatefulFunctionsUniverseProvider) provider.newInstance());
    Thread job =
        new Thread(
            () -> {
              try {
                StatefulFunctionsJob.main(env, statefun);
              } catch (Throwable t) {
                client.completeExceptionally(t);
                System.out.println("statefun job ended: " + t);
                t.printStackTrace(System.out);
                System.exit(1);
              }
            },
            "statefun-job");
    job.setDaemon(true);
    job.start();

    JobClient jobClient = client.get(180, TimeUnit.SECONDS);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    jobClient.cancel().get(20, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    // exiting anyway
                  }
                }));
    System.out.println("BENCH ready " + jobClient.getJobID());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    while (in.readLine() != null) {
      // until stdin closes
    }
    System.exit(0);
  }
}
