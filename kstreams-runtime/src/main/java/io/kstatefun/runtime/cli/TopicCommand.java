package io.kstatefun.runtime.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** {@code kstatefun topic create NAME [NAME ...] [--partitions N] [--bootstrap-servers HOST:PORT]}. */
final class TopicCommand {

  private TopicCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !args[0].equals("create")) {
      throw new KStatefunCli.UsageException("expected 'topic create NAME ...'");
    }
    List<String> names = new ArrayList<>();
    int partitions = 8;
    String bootstrap = "127.0.0.1:9092";
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--partitions" -> partitions = Integer.parseInt(value(args, ++i));
        case "--bootstrap-servers" -> bootstrap = value(args, ++i);
        default -> {
          if (args[i].startsWith("--")) {
            throw new KStatefunCli.UsageException("unknown option '" + args[i] + "'");
          }
          names.add(args[i]);
        }
      }
    }
    if (names.isEmpty()) {
      throw new KStatefunCli.UsageException("topic create needs at least one topic name");
    }
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      for (String name : names) {
        if (existing.contains(name)) {
          out.println("topic " + name + " exists");
          continue;
        }
        try {
          admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
              .all().get(30, TimeUnit.SECONDS);
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

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new KStatefunCli.UsageException(args[i - 1] + " needs a value");
    }
    return args[i];
  }
}
