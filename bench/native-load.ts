import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Client, Metadata, credentials } from "@grpc/grpc-js";
import { GetSessionRequestSchema, GetSessionResponseSchema } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmitRequestSchema, SubmitResponseSchema } from "../gen/sessionflow/v1/submission_service_pb.js";

/**
 * One load generator of bench/native-grpc.ts: a @grpc/grpc-js client on one channel keeping
 * `concurrency` calls in flight. It prepares (warms up, and for "continue" and "get" creates the
 * sessions it will use), reports ready, runs for `seconds` when told, and reports every latency.
 * Usage: native-load.ts <port> <key> <create|continue|get> <concurrency> <seconds>
 */
const [port, key, phase, concurrency, seconds] = [process.argv[2]!, process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6])];
const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
const metadata = new Metadata();
metadata.set("authorization", `Bearer ${key}`);

/**
 * A unary call. Timed calls leave the response undecoded: decoding a whole session on the client
 * would make the load generator, not the server, what is measured.
 */
function unary<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O) {
  const call = <R>(message: MessageShape<I>, deserialize: (b: Buffer) => R) =>
    new Promise<R>((resolve, reject) => {
      client.makeUnaryRequest(path, (m: MessageShape<I>) => Buffer.from(toBinary(input, m)), deserialize, message, metadata, (err, res) =>
        err ? reject(err) : resolve(res!),
      );
    });
  return {
    decoded: (message: MessageShape<I>) => call(message, (b) => fromBinary(output, b)),
    raw: (message: MessageShape<I>) => call(message, (b) => b),
  };
}
const submit = unary("/sessionflow.v1.SubmissionService/Submit", SubmitRequestSchema, SubmitResponseSchema);
const getSession = unary("/sessionflow.v1.SessionService/GetSession", GetSessionRequestSchema, GetSessionResponseSchema);

const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };
const createRequest = create(SubmitRequestSchema, { workflow: "bank-signup", identity, step: "start" });
for (let i = 0; i < 300; i++) await submit.raw(create(SubmitRequestSchema, { workflow: "warmup", identity })); // JIT warm-up

// Continues are spread over many sessions, a few each, as sign-up journeys are; none nears a session's caps.
const pool = phase === "create" ? [] : await Promise.all(Array.from({ length: concurrency * 32 }, async () => (await submit.decoded(createRequest)).session!.id));
const continueRequests = pool.map((sessionId) => create(SubmitRequestSchema, { sessionId, workflow: "bank-signup", identity, step: "continue" }));
const getRequests = pool.map((sessionId) => create(GetSessionRequestSchema, { sessionId }));
const call: (i: number) => Promise<unknown> =
  phase === "create"
    ? () => submit.raw(createRequest)
    : phase === "continue"
      ? (i) => submit.raw(continueRequests[i % continueRequests.length]!)
      : (i) => getSession.raw(getRequests[i % getRequests.length]!);

async function run(): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await call(next++);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "run") {
    run().then((latencies) => process.send!({ cmd: "run", latencies }));
  } else if (msg.cmd === "exit") {
    client.close();
    process.exit(0);
  }
});
process.send!({ cmd: "ready" });
