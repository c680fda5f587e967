import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type sendUnaryData, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { serviceDefinitionOf } from "../src/server/grpc-native/service-definition.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { Disposition, SessionSchema, SessionState } from "../gen/sessionflow/v1/session_pb.js";
import { GetSessionResponseSchema, SessionService } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService, SubmitResponseSchema } from "../gen/sessionflow/v1/submission_service_pb.js";

/**
 * A target of bench/native-grpc.ts, in its own process so its CPU time is its own: "real" is
 * Sessionflow's native gRPC port on the embedded store; "noop" is a bare @grpc/grpc-js server
 * with the same methods and (de)serializers, answering a constant. Reports its CPU time over IPC.
 */
const mode = process.argv[2] === "noop" ? "noop" : "real";
/** One tenant drives the benchmark, so its budget must not be what is measured. */
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };

async function startReal() {
  const store = createMemoryStore();
  const { secret, key } = issueApiKey("bench", [...scopes], new Date());
  await store.apiKeys.insert(key);
  const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, callLimits: { tenant: unlimited, maxCalls: 100_000 } });
  const { port } = await app.grpc.listen(0, "127.0.0.1");
  return { port, key: secret };
}

async function startNoop() {
  const id = "0197f665-6c88-7512-bc33-a7605d487377";
  const session = create(SessionSchema, { id, state: SessionState.OPEN, workflow: "bank-signup" });
  const submitted = create(SubmitResponseSchema, { session, disposition: Disposition.CONTINUED });
  const got = create(GetSessionResponseSchema, { session });
  // Without channelz, as the native port runs.
  const server = new Server({ "grpc.enable_channelz": 0 });
  server.addService(serviceDefinitionOf(SubmissionService), {
    submit: (_call: unknown, done: sendUnaryData<unknown>) => done(null, submitted),
  } as UntypedServiceImplementation);
  server.addService(serviceDefinitionOf(SessionService), {
    getSession: (_call: unknown, done: sendUnaryData<unknown>) => done(null, got),
  } as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, key: "noop" };
}

const target = mode === "noop" ? await startNoop() : await startReal();
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "cpu") {
    const { user, system } = process.cpuUsage();
    process.send!({ cmd: "cpu", micros: user + system });
  } else if (msg.cmd === "exit") {
    process.exit(0);
  }
});
process.send!({ cmd: "ready", ...target });
