package io.kstatefun.runtime.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kstatefun topic create NAME [NAME ...] [--partitions N] [--bootstrap-servers HOST:PORT]}.
 */
@Command(
    name = "topic",
    sortSynopsis = false,
    description = "Manages topics.",
    subcommands = TopicCommand.Create.class)
public final class TopicCommand {

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  /** {@code topic create}: creates missing topics, leaves existing ones as they are. */
  @Command(
      name = "create",
      sortOptions = false,
      sortSynopsis = false,
      description =
          "Creates topics (e.g. ingress and egress topics); existing ones are left as they are.")
  static final class Create implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "The topics to create.")
    List<String> names = new ArrayList<>();

    @Option(
        names = "--partitions",
        paramLabel = "N",
        defaultValue = "8",
        description = "Partitions of each new topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT",
        defaultValue = "127.0.0.1:9092",
        description = "Kafka. Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (Admin admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                  bootstrap,
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                  30_000))) {
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        for (String name : names) {
          if (existing.contains(name)) {
            out.println("topic " + name + " exists");
            continue;
          }
          try {
            admin
                .createTopics(
                    List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
                .all()
                .get(30, TimeUnit.SECONDS);
            out.println("created topic " + name + " with " + partitions + " partitions");
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
              throw e;
            }
            out.println("topic " + name + " exists");
          }
        }
        return 0;
      } catch (Exception e) {
        err.println("kstatefun topic: cannot reach Kafka at " + bootstrap + ": " + e.getMessage());
        return 1;
      }
    }
  }
}
