// A greeter written with the official Apache Flink StateFun 3.3.0 JavaScript SDK, nothing
// kstatefun-specific: the same file runs on Apache StateFun.
//
//   node server.js [port]       (default 8001; 0 picks a free port)
//
// Kafka topic "js-names" (key = name, value = the name as plain UTF-8) -> js/greeter
// -> Kafka topic "js-greetings" (key = name, value = "Hello <name> from JavaScript, visit #<n>").
//
// Called over kstatefun's HTTP API (POST /call/js/greeter/<name>), it also answers the call the
// StateFun way, by sending the greeting to its caller:
//   curl -X POST localhost:8090/call/js/greeter/ada -H 'Statefun-Type: js/name' -d ada
"use strict";

const http = require("http");
const { StateFun, kafkaEgressMessage, messageBuilder } = require("apache-flink-statefun");

// The ingress writes plain UTF-8 bytes; the built-in string type would expect a protobuf wrapper.
const NameType = StateFun.customType(
  "js/name",
  (name) => Buffer.from(name, "utf8"),
  (bytes) => bytes.toString("utf8")
);

const statefun = new StateFun();

statefun.bind({
  typename: "js/greeter",
  specs: [{ name: "visits", type: StateFun.intType() }],
  fn(context, message) {
    const name = message.as(NameType);
    const visits = (context.storage.visits || 0) + 1;
    context.storage.visits = visits;
    const greeting = `Hello ${name} from JavaScript, visit #${visits}`;
    context.send(
      kafkaEgressMessage({
        typename: "js/greetings",
        topic: "js-greetings",
        key: context.self.id,
        value: greeting,
      })
    );
    // A message from a Kafka ingress has no caller; a call has one: answer it (an
    // io.statefun.types/string, which the HTTP API returns as text/plain).
    if (context.caller) {
      context.send(
        messageBuilder({
          typename: context.caller.typename,
          id: context.caller.id,
          value: greeting,
        })
      );
    }
  },
});

const port = Number(process.argv[2] || process.env.PORT || 8001);
const server = http.createServer(statefun.handler());
server.listen(port, "127.0.0.1", () => {
  console.log(`js-greeter listening on 127.0.0.1:${server.address().port}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
