import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { fmt, journeyIdentity, percentile, runJourneys, startTarget } from "./target.js";

/**
 * Submit throughput and latency: C workers, each running sign-up journeys (one creating
 * Submit, then four continuing ones) for D seconds, against Sessionflow on the embedded store
 * and against a no-op server on the same transport, in the same run.
 * Usage: npm run bench:submit [-- <concurrency> <seconds>]
 */
const concurrency = Number(process.argv[2] ?? 32);
const seconds = Number(process.argv[3] ?? 5);

async function run(mode: "real" | "noop", port: "shared" | "h2c" = "shared") {
  const target = await startTarget(mode);
  const transport = createGrpcTransport({
    baseUrl: port === "h2c" ? target.h2cBaseUrl : target.baseUrl,
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${target.key}`), next(req))],
  });
  const client = createClient(SubmissionService, transport);
  for (let i = 0; i < 200; i++) await client.submit({ workflow: "warmup", identity: journeyIdentity }); // JIT warm-up

  const latencies: number[] = [];
  await runJourneys((req) => client.submit(req), { concurrency, seconds, continues: mode === "real" }, latencies);
  await target.stop();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls: latencies.length };
}

console.log(`Submit: ${concurrency} concurrent callers for ${seconds}s each, gRPC over h2c, journeys of 5 calls`);
const noop = await run("noop");
const real = await run("real");
const noopH2c = await run("noop", "h2c");
const realH2c = await run("real", "h2c");
console.log("server                      calls/s    p50        p99        calls");
const rows = [["no-op, shared port", noop], ["sessionflow, shared port", real], ["no-op, h2c port", noopH2c], ["sessionflow, h2c port", realH2c]] as const;
for (const [name, r] of rows) {
  console.log(`${name.padEnd(27)} ${r.rps.toFixed(0).padEnd(10)} ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${r.calls}`);
}
const ratio = (r: typeof real, base: typeof real) => `throughput x${(r.rps / base.rps).toFixed(2)}  p50 x${(r.p50 / base.p50).toFixed(2)}  p99 x${(r.p99 / base.p99).toFixed(2)}`;
console.log(`ratio, shared port          ${ratio(real, noop)}`);
console.log(`ratio, h2c port             ${ratio(realH2c, noopH2c)}`);
