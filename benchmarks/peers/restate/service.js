// The benchmark's functions as Restate virtual objects (TypeScript SDK, plain JS), for
// `bin/kstatefun-bench run --system restate`. Same wire contract as the kstatefun benchmark functions
// (benchmarks/src/main/java/io/kstatefun/benchmarks/Payload.java):
//
//   input  (the run's ingress topic, via a Restate Kafka subscription): key = id (the virtual-object key),
//          value = UTF-8 "seq,sendNanos,route", delivered as the raw invocation argument (serde.binary).
//          route is "" (emit) or "type@id;type@id;..." (the next hops, in order).
//   output (the run's egress topic): key = the emitting id, value = "seq,sendNanos,count".
//
//   counter/process, chain/process: per-key state "count" += 1; then either write (id, seq,sendNanos,count)
//   to the egress topic, or forward "seq,sendNanos,<rest of the route>" to the route's next hop with a
//   one-way send (a Restate-durable message).
//
// Restate has no Kafka egress: the write is done with a kafkajs producer inside ctx.run (a journaled side
// effect). The OUTPUT is therefore at-least-once: if the invocation fails after the broker acknowledged the
// write but before Restate recorded the ctx.run result, the retry repeats the write (same seq and count).
// Ingress (deduplicated by subscription/partition/offset) and state are exactly-once.
//
// Env: PORT (endpoint port), BOOTSTRAP (Kafka bootstrap servers), OUT_TOPIC (egress topic),
//      LOG_LEVEL (kafkajs log level, default ERROR).
"use strict";
// restate-sdk 1.17 calls Promise.withResolvers (Node >= 22); on Node 20 a minimal polyfill
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const http2 = require("node:http2");
const restate = require("@restatedev/restate-sdk");
const { Kafka, Partitioners, logLevel } = require("kafkajs");

const PORT = parseInt(process.env.PORT || "9080", 10);
const BOOTSTRAP = (process.env.BOOTSTRAP || "127.0.0.1:9092").split(",");
const OUT_TOPIC = process.env.OUT_TOPIC || "bench-out";

const dec = new TextDecoder();
const enc = new TextEncoder();

// Kafka egress: one idempotent producer, group commit (at most one produce request in flight; what arrives
// meanwhile goes into the next request, no added linger).
const kafka = new Kafka({
  clientId: "kstatefun-bench-restate-egress",
  brokers: BOOTSTRAP,
  logLevel: logLevel[process.env.LOG_LEVEL || "ERROR"],
});
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the Java client
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
});

const stats = { emitted: 0, requests: 0, invocations: 0, max_batch: 0 };

class Emitter {
  constructor() {
    this.queue = [];
    this.inflight = false;
  }
  send(key, value) {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, value, resolve, reject });
      if (!this.inflight) this.flush();
    });
  }
  async flush() {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.inflight = true;
    stats.requests++;
    if (batch.length > stats.max_batch) stats.max_batch = batch.length;
    try {
      await producer.send({
        topic: OUT_TOPIC,
        acks: -1,
        messages: batch.map((m) => ({ key: m.key, value: m.value })),
      });
      stats.emitted += batch.length;
      for (const m of batch) m.resolve();
    } catch (e) {
      for (const m of batch) m.reject(e);
    } finally {
      this.inflight = false;
      if (this.queue.length > 0) this.flush();
    }
  }
}
const emitter = new Emitter();

// "seq,sendNanos,route" -> [seq, sendNanos, route] (seq and sendNanos kept as text: sendNanos may exceed 2^53)
function parse(payload) {
  const a = payload.indexOf(",");
  const b = a < 0 ? -1 : payload.indexOf(",", a + 1);
  if (a <= 0 || b < 0) throw new restate.TerminalError("not a benchmark record: " + payload.substring(0, 80));
  return [payload.substring(0, a), payload.substring(a + 1, b), payload.substring(b + 1)];
}

async function process_(ctx, input) {
  stats.invocations++;
  const [seq, sendNanos, route] = parse(dec.decode(input));
  const count = ((await ctx.get("count")) ?? 0) + 1;
  ctx.set("count", count);
  if (route === "") {
    const key = ctx.key;
    await ctx.run("emit", () => emitter.send(key, seq + "," + sendNanos + "," + count));
    return;
  }
  const semi = route.indexOf(";");
  const next = semi < 0 ? route : route.substring(0, semi);
  const rest = semi < 0 ? "" : route.substring(semi + 1);
  const at = next.indexOf("@");
  ctx.genericSend({
    service: next.substring(0, at),
    method: "process",
    key: next.substring(at + 1),
    parameter: enc.encode(seq + "," + sendNanos + "," + rest),
  });
}

const handlerOpts = { input: restate.serde.binary };
const services = ["counter", "chain"].map((name) =>
  restate.object({ name, handlers: { process: restate.handlers.object.exclusive(handlerOpts, process_) } }),
);

async function main() {
  await producer.connect();
  const handler = restate.createEndpointHandler({ services });
  const server = http2.createServer((req, res) => {
    if (req.url === "/bench-stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(stats));
      return;
    }
    handler(req, res);
  });
  server.listen(PORT, "127.0.0.1", () => {
    console.log(`BENCH ready port=${PORT} (h2c), Kafka ${BOOTSTRAP} -> ${OUT_TOPIC}`);
  });
  const shutdown = async () => {
    server.close();
    try {
      await producer.disconnect();
    } catch (e) {
      /* stopping anyway */
    }
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  // never outlive the benchmark driver: it holds our standard input open while it runs
  process.stdin.on("end", shutdown);
  process.stdin.resume();
}

main().catch((e) => {
  console.error("endpoint failed:", e);
  process.exit(1);
});
