import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { forkChild } from "./ipc-child.js";
import { fmt, journeyIdentity, percentile, runJourneys } from "./target.js";

/**
 * What Prometheus metrics and OpenTelemetry tracing cost Submit: the same server with both on
 * (spans exported over OTLP/HTTP to a local sink, /metrics scraped every second) and with both
 * off, measured in the same run, alternately, so drift on a shared machine hits both alike.
 * Usage: npm run bench:observability [-- <concurrency> <seconds per round> <rounds> [on|metrics|tracing]]
 * With PROF=1 the "on" servers write CPU profiles to /tmp/prof, to see where the cost goes.
 */
const concurrency = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 2);
const rounds = Number(process.argv[4] ?? 2);
/** What "on" means: both (the default), or only "metrics" or "tracing", to see which costs what. */
const onMode = process.argv[5] ?? "on";

// A collector stand-in that accepts every export: the cost of exporting is the server's to pay.
let exports = 0;
let exportedBytes = 0;
const sink = http.createServer((req, res) => {
  req.on("data", (chunk: Buffer) => (exportedBytes += chunk.length));
  req.on("end", () => {
    exports++;
    res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

type Mode = "off" | "on";
const latencies: Record<Mode, number[]> = { off: [], on: [] };
/** The server's CPU time over the measured part of its rounds, ms. */
const cpuMs: Record<Mode, number> = { off: 0, on: 0 };
let scrapes = 0;

async function round(mode: Mode) {
  const child = await forkChild<{ port: number; key: string }>(new URL("./observability-child.ts", import.meta.url), [mode === "on" ? onMode : "off"], mode === "on" && process.env["PROF"] ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : []);
  const baseUrl = `http://127.0.0.1:${child.ready.port}`;
  const transport = createGrpcTransport({ baseUrl, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${child.ready.key}`), next(req))] });
  const client = createClient(SubmissionService, transport);
  for (let i = 0; i < 300; i++) await client.submit({ workflow: "warmup", identity: journeyIdentity }); // JIT warm-up
  await child.ask("mark");
  const scraper =
    mode === "on"
      ? setInterval(() => {
          void fetch(`${baseUrl}/metrics`).then((r) => r.text()).then(() => scrapes++);
        }, 1000)
      : undefined;
  await runJourneys((req) => client.submit(req), { concurrency, seconds, continues: true }, latencies[mode]);
  clearInterval(scraper);
  cpuMs[mode] += (await child.ask<{ cpuMs: number }>("flush")).cpuMs;
  await child.stop();
}

console.log(`Submit: ${concurrency} concurrent callers, gRPC, journeys of 5 calls; ${rounds} rounds of ${seconds}s per mode, alternating`);
// Rounds alternate which mode goes first (off-on, on-off, …), so neither always runs on a warmer or busier machine.
for (let i = 0; i < rounds; i++) {
  const order: Mode[] = i % 2 === 0 ? ["off", "on"] : ["on", "off"];
  for (const mode of order) await round(mode);
}
sink.close();

const stats = (mode: Mode) => {
  const sorted = latencies[mode].sort((a, b) => a - b);
  return { rps: sorted.length / (seconds * rounds), p50: percentile(sorted, 50), p99: percentile(sorted, 99), calls: sorted.length, cpuUs: (cpuMs[mode] * 1000) / sorted.length };
};
const off = stats("off");
const on = stats("on");
console.log("server                                   calls/s    p50        p99        server CPU/call  calls");
const onName = onMode === "metrics" ? "metrics on, tracing off" : onMode === "tracing" ? "tracing on (OTLP export), metrics off" : "metrics and tracing on (OTLP export)";
for (const [name, r] of [["metrics and tracing off", off], [onName, on]] as const) {
  console.log(`${name.padEnd(40)} ${r.rps.toFixed(0).padEnd(10)} ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${`${r.cpuUs.toFixed(0)} µs`.padEnd(16)} ${r.calls}`);
}
console.log(
  `ratio on/off                             throughput x${(on.rps / off.rps).toFixed(2)}  p50 x${(on.p50 / off.p50).toFixed(2)}  p99 x${(on.p99 / off.p99).toFixed(2)}  CPU/call x${(on.cpuUs / off.cpuUs).toFixed(2)}`,
);
console.log(`OTLP exports received: ${exports} (${(exportedBytes / 1024).toFixed(0)} KiB); /metrics scrapes: ${scrapes}`);
