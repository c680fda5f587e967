import { forkChild } from "./ipc-child.js";
import { fmt, percentile } from "./target.js";

/**
 * The native gRPC port against a bare @grpc/grpc-js server answering a constant, in the same
 * run: Submit creating sessions, Submit continuing them, and GetSession. Load comes from
 * @grpc/grpc-js clients in processes of their own; each server runs in its own process, which
 * reports the CPU time it spent, so CPU per call is the server's alone.
 * Usage: npm run bench:native [-- <concurrency per load process> <seconds> <load processes>]
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the Sessionflow process there.
 * BENCH_PHASES=<phase,...> runs only some of create, continue and get.
 * SERVER_NODE_FLAGS replaces the servers' Node flags (by default those of `npm start`).
 */
const concurrency = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 5);
const loaders = Number(process.argv[4] ?? 2);
const allPhases = ["create", "continue", "get"] as const;
type Phase = (typeof allPhases)[number];
/** BENCH_PHASES=continue,get runs only those phases (to profile one path alone). */
const phases = allPhases.filter((p) => (process.env["BENCH_PHASES"]?.split(",") ?? allPhases).includes(p));

interface Result {
  rps: number;
  p50: number;
  p99: number;
  calls: number;
  /** Server CPU time per call, in milliseconds. */
  cpuMs: number;
}

async function measure(mode: "noop" | "real"): Promise<Record<Phase, Result>> {
  const profile = mode === "real" && process.env["BENCH_CPU_PROF"] ? ["--cpu-prof", "--cpu-prof-dir", process.env["BENCH_CPU_PROF"]] : [];
  // Both servers run with the flags `npm start` and the image give Sessionflow.
  const flags = (process.env["SERVER_NODE_FLAGS"] ?? "--max-semi-space-size=32").split(" ").filter(Boolean);
  const server = await forkChild<{ port: number; key: string }>(new URL("./native-server.ts", import.meta.url), [mode], [...flags, ...profile]);
  const results = {} as Record<Phase, Result>;
  try {
    for (const phase of phases) {
      const args = [String(server.ready.port), server.ready.key, phase, String(concurrency), String(seconds)];
      const load = await Promise.all(Array.from({ length: loaders }, () => forkChild(new URL("./native-load.ts", import.meta.url), args)));
      const before = await server.ask<{ micros: number }>("cpu");
      const runs = await Promise.all(load.map((l) => l.ask<{ latencies: number[] }>("run")));
      const after = await server.ask<{ micros: number }>("cpu");
      await Promise.all(load.map((l) => l.stop()));
      const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      results[phase] = {
        rps: latencies.length / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        calls: latencies.length,
        cpuMs: (after.micros - before.micros) / 1000 / latencies.length,
      };
    }
  } finally {
    await server.stop();
  }
  return results;
}

console.log(`Native gRPC port: ${loaders} load processes x ${concurrency} calls in flight, ${seconds}s per phase`);
const noop = await measure("noop");
const real = await measure("real");
const names: Record<Phase, string> = { create: "Submit, creating", continue: "Submit, continuing", get: "GetSession" };
console.log("call                 server        calls/s   p50        p99        CPU/call   ratio (calls/s)");
for (const phase of phases) {
  for (const [name, r] of [["no-op grpc-js", noop[phase]], ["sessionflow", real[phase]]] as const) {
    const ratio = name === "sessionflow" ? `x${(r.rps / noop[phase].rps).toFixed(2)}` : "";
    console.log(`${names[phase].padEnd(20)} ${name.padEnd(13)} ${r.rps.toFixed(0).padEnd(9)} ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${fmt(r.cpuMs).padEnd(10)} ${ratio}`);
  }
}
