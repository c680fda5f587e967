import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { fmt, percentile, startTarget } from "./target.js";

/**
 * Submit throughput and latency: C workers, each running sign-up journeys (one creating
 * Submit, then four continuing ones) for D seconds, against Sessionflow on the embedded store
 * and against a no-op server on the same transport, in the same run.
 * Usage: npm run bench:submit [-- <concurrency> <seconds>]
 */
const concurrency = Number(process.argv[2] ?? 32);
const seconds = Number(process.argv[3] ?? 5);

async function run(mode: "real" | "noop") {
  const target = await startTarget(mode);
  const transport = createGrpcTransport({
    baseUrl: target.baseUrl,
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${target.key}`), next(req))],
  });
  const client = createClient(SubmissionService, transport);
  const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };
  for (let i = 0; i < 200; i++) await client.submit({ workflow: "warmup", identity }); // JIT warm-up

  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        let sessionId = "";
        for (let step = 0; step < 5; step++) {
          const started = performance.now();
          const res = await client.submit({ workflow: "bank-signup", sessionId, identity, step: `step-${step}` });
          latencies.push(performance.now() - started);
          sessionId = mode === "real" ? res.session!.id : "";
        }
      }
    }),
  );
  await target.stop();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls: latencies.length };
}

console.log(`Submit: ${concurrency} concurrent callers for ${seconds}s each, gRPC over h2c, journeys of 5 calls`);
const noop = await run("noop");
const real = await run("real");
console.log("server       calls/s    p50        p99        calls");
for (const [name, r] of [["no-op", noop], ["sessionflow", real]] as const) {
  console.log(`${name.padEnd(12)} ${r.rps.toFixed(0).padEnd(10)} ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${r.calls}`);
}
console.log(`ratio        throughput x${(real.rps / noop.rps).toFixed(2)}  p50 x${(real.p50 / noop.p50).toFixed(2)}  p99 x${(real.p99 / noop.p99).toFixed(2)}`);
