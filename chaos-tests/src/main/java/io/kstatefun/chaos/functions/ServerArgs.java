package io.kstatefun.chaos.functions;

/**
 * Command line of the function servers: {@code --events-topic T --egress-topic T [--port N]}.
 *
 * @param eventsTopic where functions report applied messages and verifications
 * @param egressTopic where {@code egress} commands write
 * @param port the port to listen on, 0 for a free one
 */
record ServerArgs(String eventsTopic, String egressTopic, int port) {

  /** The line a server prints once it accepts requests, followed by its port. */
  static final String READY_PREFIX = "chaos function server listening on ";

  static ServerArgs parse(String[] args) {
    String events = null;
    String egress = null;
    int port = 0;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--events-topic" -> events = args[i + 1];
        case "--egress-topic" -> egress = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (events == null || egress == null || args.length % 2 != 0) {
      throw new IllegalArgumentException(
          "usage: --events-topic TOPIC --egress-topic TOPIC [--port N]");
    }
    return new ServerArgs(events, egress, port);
  }
}
