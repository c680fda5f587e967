import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";

/**
 * Memory per stored session on the embedded store: N three-step sign-ups (name and email, then
 * phone, then address with complete), measured as heap growth after GC.
 * Usage: node --expose-gc --import tsx bench/memory.ts [sessions]   (npm run bench:memory)
 */
const n = Number(process.argv[2] ?? 2000);
const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");

const store = createMemoryStore();
const { secret, key } = issueApiKey("bench", [...scopes], new Date());
await store.apiKeys.insert(key);
// One tenant stores every session, so its call budget must not be what stops the run.
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };
const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, callLimits: { tenant: unlimited } });
const { port } = await app.server.listen(0, "127.0.0.1");
const client = createClient(SubmissionService, createGrpcTransport({
  baseUrl: `http://127.0.0.1:${port}`,
  interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${secret}`), next(req))],
}));
const journey = async (i: number) => {
  const identity = { fullName: `Person ${i}`, email: `person${i}@example.com` };
  const first = await client.submit({ workflow: "bank-signup", market: "GB", identity, step: "start" });
  const sessionId = first.session!.id;
  await client.submit({ sessionId, workflow: "bank-signup", identity: { ...identity, phone: `+4477009${String(i).padStart(5, "0")}` }, step: "phone" });
  await client.submit({
    sessionId,
    workflow: "bank-signup",
    identity: { address: { lines: [`${i} High Street`], locality: "Oxford", postalCode: "OX1 1AA", regionCode: "GB" } },
    step: "address",
    complete: true,
  });
};
for (let i = 0; i < 50; i++) await journey(-i - 1); // warm up
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, j) => journey(i + j)));
gc();
gc();
const after = process.memoryUsage().heapUsed;
console.log(`${n} sessions of 3 submissions: ${((after - before) / n / 1024).toFixed(1)} KiB heap per stored session (with its audit trail and events)`);
await app.shutdown(100);
