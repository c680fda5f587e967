import { create, fromBinary } from "@bufbuild/protobuf";
import { Metadata, Server, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import { Session } from "node:inspector/promises";
import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { GetSessionRequestSchema } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmitRequestSchema, SubmitResponseSchema } from "../gen/sessionflow/v1/submission_service_pb.js";

/**
 * The native port's own CPU per call without HTTP/2: the grpc-js handlers the adapter registers
 * are called directly with a stand-in call (authorization metadata, no deadline), so what is
 * measured is the interceptors, the use case, the embedded store and the response's encoding.
 * Steadier than bench:native on a shared machine, for comparing one change with the next.
 * Usage: npx tsx bench/native-inprocess.ts <create|continue|get> [calls]
 * BENCH_CPU_PROF=<file> writes a V8 CPU profile of the timed calls there.
 */
const phase = process.argv[2] ?? "continue";
const calls = Number(process.argv[3] ?? 16_000);
const sessions = Number(process.env["BENCH_SESSIONS"] ?? 4096); // continues spread over many sessions, a few each, as in bench:native
const concurrency = 32;

type Handler = (call: unknown, done: (err: unknown, value?: unknown) => void) => void;
const handlers = new Map<string, Handler>();
/** Each handler's response serializer, the port's own: responses are encoded as on the wire. */
const serializers = new Map<Handler, (value: unknown) => Buffer>();
const addService = Server.prototype.addService;
Server.prototype.addService = function (definition: ServiceDefinition, impl: UntypedServiceImplementation) {
  for (const [name, method] of Object.entries(definition)) {
    handlers.set(method.path, impl[name] as Handler);
    serializers.set(impl[name] as Handler, method.responseSerialize as (value: unknown) => Buffer);
  }
  return addService.call(this, definition, impl);
};

const store = createMemoryStore();
const { secret, key } = issueApiKey("bench", [...scopes], new Date());
await store.apiKeys.insert(key);
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };
const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, callLimits: { tenant: unlimited, maxCalls: 100_000 } });
const submit = handlers.get("/sessionflow.v1.SubmissionService/Submit")!;
const getSession = handlers.get("/sessionflow.v1.SessionService/GetSession")!;

/** One call through a handler, its response encoded by the port's serializer. */
function call(handler: Handler, request: unknown): Promise<Uint8Array> {
  const stand = Object.assign(new EventEmitter(), {
    cancelled: false,
    request,
    metadata: new Metadata(),
    getPeer: () => "127.0.0.1:40000",
    getDeadline: () => Infinity,
    getHost: () => "127.0.0.1:50051",
    sendMetadata: () => {},
  });
  stand.metadata.set("authorization", `Bearer ${secret}`);
  return new Promise((resolve, reject) => handler(stand, (err, value) => (err ? reject(err) : resolve(serializers.get(handler)!(value)))));
}

const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };
const creating = () => create(SubmitRequestSchema, { workflow: "bank-signup", identity, step: "start" });
const ids: string[] = [];
for (let i = 0; i < sessions; i++) ids.push(fromBinary(SubmitResponseSchema, await call(submit, creating())).session!.id);

async function run(count: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const id = ids[next++ % ids.length]!;
        if (phase === "create") await call(submit, creating());
        else if (phase === "continue") await call(submit, create(SubmitRequestSchema, { sessionId: id, workflow: "bank-signup", identity, step: "continue" }));
        else await call(getSession, create(GetSessionRequestSchema, { sessionId: id }));
      }
    }),
  );
}

await run(2000); // JIT warm-up
const profileTo = process.env["BENCH_CPU_PROF"];
const inspector = new Session();
if (profileTo) {
  inspector.connect();
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.start");
}
const before = process.cpuUsage();
await run(calls);
const cpu = process.cpuUsage(before);
if (profileTo) writeFileSync(profileTo, JSON.stringify((await inspector.post("Profiler.stop")).profile));
console.log(`${phase}: ${((cpu.user + cpu.system) / calls).toFixed(1)} us of CPU per call over ${calls} calls`);
await app.shutdown(0);
process.exit(0);
