package io.kstatefun.statefunimport.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.statefun.flink.core.StatefulFunctionsConfig;
import org.apache.flink.statefun.flink.core.StatefulFunctionsJob;
import org.apache.flink.statefun.flink.core.StatefulFunctionsUniverseProvider;
import org.apache.flink.statefun.flink.core.StatefulFunctionsUniverses;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A real Apache Flink StateFun 3.3.0 job (the StateFun runtime on a Flink 1.16 MiniCluster) as the
 * main program of its own JVM, for the migration tests.
 *
 * <p>Arguments: {@code MODULE_YAML STATE_BACKEND(hashmap|rocksdb) PARALLELISM}. It prints {@code
 * statefun running <jobId>} once the job runs. Commands on stdin: {@code stop DIR} stops the job
 * with a canonical savepoint (what {@code flink stop --savepointPath DIR} does); {@code savepoint
 * DIR} takes a canonical savepoint and then cancels the job. Both print {@code statefun savepoint
 * <path>}, then the program exits.
 */
public final class StatefunJobMain {

  private StatefunJobMain() {}

  public static void main(String[] args) throws Exception {
    Path module = Path.of(args[0]).toAbsolutePath();
    String backend = args[1];
    int parallelism = Integer.parseInt(args[2]);

    Configuration flink = new Configuration();
    flink.set(StateBackendOptions.STATE_BACKEND, backend);
    flink.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    flink.setString(
        CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL.key(),
        "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf");
    flink.setString("statefun.remote.module-name", module.toUri().toString());
    flink.setString("statefun.flink-job-name", "kstatefun-migration-test");

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
              }
            },
            "statefun-job");
    job.setDaemon(true);
    job.start();

    JobClient jobClient = client.get(120, TimeUnit.SECONDS);
    JobID id = jobClient.getJobID();
    System.out.println("statefun running " + id);

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      boolean stop = line.startsWith("stop ");
      if (stop || line.startsWith("savepoint ")) {
        String dir = Path.of(line.substring(line.indexOf(' ') + 1).trim()).toUri().toString();
        String path;
        if (stop) {
          path =
              jobClient
                  .stopWithSavepoint(false, dir, SavepointFormatType.CANONICAL)
                  .get(300, TimeUnit.SECONDS);
        } else {
          // `flink savepoint JOB DIR` then `flink cancel JOB`: for when stop-with-savepoint fails
          // (Flink 1.16's legacy Kafka source can fail it with Handover$ClosedException).
          path =
              jobClient
                  .triggerSavepoint(dir, SavepointFormatType.CANONICAL)
                  .get(300, TimeUnit.SECONDS);
          jobClient.cancel().get(60, TimeUnit.SECONDS);
        }
        System.out.println("statefun savepoint " + path);
        System.out.flush();
        System.exit(0);
      }
    }
    jobClient.cancel().get(60, TimeUnit.SECONDS);
    System.exit(0);
  }
}
