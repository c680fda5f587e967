import { createClient } from "@connectrpc/connect";
import { setMaxListeners } from "node:events";
import { LifecycleEventType } from "../gen/sessionflow/v1/event_pb.js";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EventService } from "../gen/sessionflow/v1/event_service_pb.js";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { fmt, percentile, startTarget } from "./target.js";

/**
 * Event fan-out: N open WatchEvents streams, then E events; reports delivery latency (submit
 * sent -> event received, per stream) and server memory per open stream, for Sessionflow and
 * for a no-op server on the same transport measured in the same run.
 * Usage: npm run bench:fanout [-- 1000 10000]
 */
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const streamCounts = sizes.length ? sizes : [1000, 10_000];
const eventsPerRun = 20;
const connections = 8;

async function run(mode: "real" | "noop", streams: number) {
  const target = await startTarget(mode);
  const auth = (next: any) => (req: any) => {
    req.header.set("authorization", `Bearer ${target.key}`);
    return next(req);
  };
  const transports = Array.from({ length: connections }, () => createGrpcTransport({ baseUrl: target.baseUrl, interceptors: [auth] }));
  const submit = createClient(SubmissionService, transports[0]!);
  await submit.submit({ workflow: "warmup" }); // warm the code paths before measuring

  const before = await target.ask<{ heapUsed: number; external: number; rss: number }>("memory");
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const latencies: number[] = [];
  let sentAt = 0;
  let received = 0;
  const readers = Array.from({ length: streams }, async (_, i) => {
    const events = createClient(EventService, transports[i % connections]!);
    try {
      // OPENED only: one event per submit, as the no-op server sends.
      for await (const r of events.watchEvents({ filter: { types: [LifecycleEventType.OPENED] } }, { signal: controller.signal })) {
        if (r.kind.case !== "event") continue;
        latencies.push(performance.now() - sentAt);
        received++;
      }
    } catch {
      // cancelled at the end of the run
    }
  });
  for (;;) {
    const { streams: open } = await target.ask<{ streams: number }>("streams");
    if (open >= streams) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const during = await target.ask<{ heapUsed: number; external: number; rss: number }>("memory");

  for (let e = 0; e < eventsPerRun; e++) {
    const expected = received + streams;
    sentAt = performance.now();
    await submit.submit({ workflow: "bench" });
    const deadline = Date.now() + 30_000;
    while (received < expected && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  }
  controller.abort();
  await Promise.all(readers);
  await target.stop();

  latencies.sort((a, b) => a - b);
  const perStream = (during.heapUsed + during.external - before.heapUsed - before.external) / streams;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perStreamKiB: perStream / 1024, rssMiB: during.rss / 1048576, deliveries: latencies.length };
}

console.log(`fan-out: ${eventsPerRun} submits per run, ${connections} HTTP/2 connections, gRPC protocol`);
console.log("streams  server       p50         p99        memory/stream  server RSS   deliveries");
for (const streams of streamCounts) {
  const noop = await run("noop", streams);
  const real = await run("real", streams);
  for (const [name, r] of [["no-op", noop], ["sessionflow", real]] as const) {
    console.log(`${String(streams).padEnd(8)} ${name.padEnd(12)} ${fmt(r.p50).padEnd(11)} ${fmt(r.p99).padEnd(10)} ${(r.perStreamKiB.toFixed(1) + " KiB").padEnd(14)} ${(r.rssMiB.toFixed(0) + " MiB").padEnd(12)} ${r.deliveries}`);
  }
  console.log(`${String(streams).padEnd(8)} ratio        p50 x${(real.p50 / noop.p50).toFixed(2)}  p99 x${(real.p99 / noop.p99).toFixed(2)}  memory x${(real.perStreamKiB / noop.perStreamKiB).toFixed(2)}`);
}
