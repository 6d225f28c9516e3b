package io.kstatefun.chaos.functions;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command line of the function servers: {@code --events-topic T --egress-topic T [--port N]}. */
@Command(name = "chaos-function-server", description = "A function server of the chaos tests.")
final class ServerArgs {

  /** The line a server prints once it accepts requests, followed by its port. */
  static final String READY_PREFIX = "chaos function server listening on ";

  @Option(
      names = "--events-topic",
      paramLabel = "TOPIC",
      required = true,
      description = "Where functions report applied messages and verifications.")
  private String eventsTopic;

  @Option(
      names = "--egress-topic",
      paramLabel = "TOPIC",
      required = true,
      description = "Where 'egress' commands write.")
  private String egressTopic;

  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "0",
      description = "The port to listen on; 0 for a free one.")
  private int port;

  /**
   * Parses the command line.
   *
   * @throws CommandLine.ParameterException naming what is wrong
   */
  static ServerArgs parse(String[] args) {
    ServerArgs parsed = new ServerArgs();
    new CommandLine(parsed).setExpandAtFiles(false).parseArgs(args);
    return parsed;
  }

  String eventsTopic() {
    return eventsTopic;
  }

  String egressTopic() {
    return egressTopic;
  }

  int port() {
    return port;
  }
}
