import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SessionService } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { setPriority } from "node:os";
import { forkChild } from "./ipc-child.js";
import { fmt, percentile } from "./target.js";

/**
 * A noisy tenant against a quiet one, on one Sessionflow process with the default limits: the
 * quiet tenant's GetSession and Submit latency alone, then while the noisy tenant runs large
 * listings, usage queries over its crowd of sessions, many streams and a flood of calls (see
 * noisy-load.ts). Server, noise and the quiet client are three processes on loopback. The
 * server takes its limits from the SESSIONFLOW_* variables, as in production.
 * NOISE=streams,listings,usage,flood runs only some kinds of noise, to see what each costs.
 * Usage: [SESSIONFLOW_…=…] [NOISE=…] npm run bench:noisy [-- <seconds per phase> <noisy sessions> <noisy streams>]
 */
const seconds = Number(process.argv[2] ?? 5);
const crowdSize = Number(process.argv[3] ?? 50_000);
const streams = Number(process.argv[4] ?? 1_000);
const largeSessions = 10;
const quietCallers = 4;
const quietPauseMs = 20;
// NOISE=streams,listings,usage,flood runs only those kinds of noise (see noisy-load.ts).
const expectedStreams = (process.env["NOISE"] ?? "streams").split(",").includes("streams") ? streams : 0;

// The server runs with the Node flags `npm start` and the image use (SERVER_NODE_FLAGS overrides them, to compare).
const serverFlags = (process.env["SERVER_NODE_FLAGS"] ?? "--max-semi-space-size=32").split(" ").filter(Boolean);
const server = await forkChild<{ port: number; keys: { noisy: string; quiet: string } }>(new URL("./noisy-server.ts", import.meta.url), [String(crowdSize), String(largeSessions)], serverFlags);
const baseUrl = `http://127.0.0.1:${server.ready.port}`;
const transport = createGrpcTransport({
  baseUrl,
  interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${server.ready.keys.quiet}`), next(req))],
});
const quietSessions = createClient(SessionService, transport);
const quietSubmissions = createClient(SubmissionService, transport);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The quiet tenant: callers alternating GetSession and a continuing Submit, one call every few ms each. */
async function quiet(ms: number) {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: quietCallers }, async () => {
      let sessionId = (await quietSubmissions.submit({ workflow: "signup", identity: { fullName: "Quiet Person" } })).session!.id;
      for (let step = 0; performance.now() < end; step++) {
        const started = performance.now();
        try {
          if (step % 2 === 0) await quietSessions.getSession({ sessionId });
          else if (step % 20 === 19) sessionId = (await quietSubmissions.submit({ workflow: "signup", identity: { email: "quiet@example.com" } })).session!.id;
          else await quietSubmissions.submit({ workflow: "signup", sessionId, step: `s${step % 8}` });
          latencies.push(performance.now() - started);
        } catch {
          failures++;
        }
        await pause(quietPauseMs);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const delay = await server.ask<{ p99: number; max: number; gc: { max: number; total: number }; cpu: number }>("delay");
  return { calls: latencies.length, failures, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, delay };
}

let alone, noisy, report;
try {
  await quiet(1_000); // warm-up, and the server's delay histogram starts afresh
  alone = await quiet(seconds * 1000);
  const load = await forkChild<{ cmd: string }>(new URL("./noisy-load.ts", import.meta.url), [String(server.ready.port), server.ready.keys.noisy, String(streams)]);
  // The noisy tenant's client would run on machines of its own; here it shares two cores with the
  // server, so it yields the CPU to the server and the quiet client (nice 10). What is measured is
  // how the server shares itself, not how the operating system shares this box.
  setPriority(load.pid, 10);
  try {
    // Measured once the noisy streams are open: opening a thousand at once is a burst of its own, the steady state is the test.
    for (const until = Date.now() + 30_000; Date.now() < until; await pause(50)) {
      if ((await server.ask<{ streams: number }>("streams")).streams >= expectedStreams) break;
    }
    await server.ask("delay"); // the server's figures start afresh with the measured phase
    noisy = await quiet(seconds * 1000);
    ({ report } = await load.ask<{ report: { kind: string; outcomes: Record<string, number> }[] }>("stop"));
  } finally {
    await load.stop();
  }
} finally {
  await server.stop();
}

console.log(`noisy tenant: ${crowdSize.toLocaleString("en")} sessions, ${largeSessions} of the largest (about 2 MiB each), ${streams.toLocaleString("en")} WatchEvents streams, a flood; limits from the environment (defaults when unset)`);
console.log(`quiet tenant: ${quietCallers} callers, GetSession and Submit, ${quietPauseMs} ms between calls; ${seconds} s per phase, gRPC over loopback`);
console.log("phase          calls   p50        p99        max        failed  server: CPU, loop delay p99 / max, longest GC pause / GC in all");
for (const [name, r] of [["alone", alone], ["with noise", noisy]] as const) {
  console.log(`${name.padEnd(14)} ${String(r.calls).padEnd(7)} ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${fmt(r.max).padEnd(10)} ${String(r.failures).padEnd(7)} ${(r.delay.cpu * 100).toFixed(0)}%, ${fmt(r.delay.p99)} / ${fmt(r.delay.max)}, ${fmt(r.delay.gc.max)} / ${fmt(r.delay.gc.total)}`);
}
const ratio = noisy.p99 / alone.p99;
console.log(`ratio          p50 x${(noisy.p50 / alone.p50).toFixed(2)}  p99 x${ratio.toFixed(2)}  (goal: p99 within x3: ${ratio <= 3 ? "met" : "missed"})`);
console.log("what the noisy tenant got:");
for (const { kind, outcomes } of report) {
  const parts = Object.entries(outcomes).sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${outcome} ${n}`);
  console.log(`  ${kind.padEnd(36)} ${parts.join(", ")}`);
}
