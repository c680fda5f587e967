import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { UsagePeriod } from "../gen/sessionflow/v1/billing_pb.js";
import { BillingService } from "../gen/sessionflow/v1/billing_service_pb.js";
import { ClientAuthService } from "../gen/sessionflow/v1/client_auth_service_pb.js";
import { EventService } from "../gen/sessionflow/v1/event_service_pb.js";
import { SessionService, SessionView } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";

/**
 * The noisy tenant, in its own process so decoding its large answers does not slow the quiet
 * tenant's client: large listings, usage queries, many open streams, a front end opening more
 * streams than it may, and a flood of calls that never backs off. Runs until told to stop,
 * then reports what each kind of call got. Usage: noisy-load.ts <port> <key> <streams>
 */
const [port, key, requestedStreams] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4] ?? 1_000)];
// NOISE=streams,listings,usage,flood picks kinds of noise to study one at a time (all when unset).
const kinds = new Set((process.env["NOISE"] ?? "streams,listings,usage,flood").split(","));
const streamCount = kinds.has("streams") ? requestedStreams : 0;
const baseUrl = `http://127.0.0.1:${port}`;
const bearer = (token: string) => [(next: any) => (req: any) => (req.header.set("authorization", `Bearer ${token}`), next(req))];
// Streams use connections of their own (1,000 streams per HTTP/2 connection at most), the calls another.
const calls = createGrpcTransport({ baseUrl, interceptors: bearer(key) });
const sessions = createClient(SessionService, calls);
const billing = createClient(BillingService, calls);
const submissions = createClient(SubmissionService, calls);
const stop = new AbortController();
setMaxListeners(0, stop.signal);

const tally = new Map<string, Map<string, number>>();
const count = (kind: string, outcome: string) => {
  const outcomes = tally.get(kind) ?? new Map<string, number>();
  tally.set(kind, outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1));
};
const outcomeOf = (e: unknown) => {
  const error = ConnectError.from(e);
  return error.findDetails(ErrorInfoSchema)[0]?.reason ?? Code[error.code];
};
/** Runs `call` back to back until stopped, counting outcomes; the noisy tenant never backs off. */
const loop = async (kind: string, call: () => Promise<unknown>) => {
  while (!stop.signal.aborted) {
    await call().then(
      () => count(kind, "ok"),
      (e: unknown) => count(kind, outcomeOf(e)),
    );
  }
};

// Many streams, held until the end.
const streamTransports = Array.from({ length: Math.ceil(streamCount / 900) }, () => createGrpcTransport({ baseUrl, interceptors: bearer(key) }));
const opened: Promise<unknown>[] = [];
const held = Array.from({ length: streamCount }, (_, i) => {
  const events = createClient(EventService, streamTransports[i % streamTransports.length]!);
  return (async () => {
    let first = true;
    try {
      for await (const _ of events.watchEvents({}, { signal: stop.signal })) {
        if (first) count("WatchEvents streams", "open");
        first = false;
      }
    } catch (e) {
      if (!stop.signal.aborted) count("WatchEvents streams", outcomeOf(e));
    }
  })();
});
// A front end tries 20 streams on its one session.
const link = await sessions.createSession({ workflow: "front-end" });
const token = await createClient(ClientAuthService, createGrpcTransport({ baseUrl })).exchangeLinkToken({ linkToken: link.url.split("/s/")[1]! });
const frontEnd = createClient(EventService, createGrpcTransport({ baseUrl, interceptors: bearer(token.clientToken) }));
for (let i = 0; i < 20; i++) {
  const stream = frontEnd.watchSession({ sessionId: token.sessionId }, { signal: stop.signal })[Symbol.asyncIterator]();
  opened.push(stream.next().then(() => count("front-end streams", "open"), (e: unknown) => count("front-end streams", outcomeOf(e))));
}
await Promise.all(opened);

const range = { startTime: timestampFromDate(new Date(Date.now() - 40 * 86_400_000)), endTime: timestampFromDate(new Date()) };
const noise = [
  // Large listings: the largest sessions in full, a filter nothing matches over the crowd, the largest BASIC page.
  ...(kinds.has("listings")
    ? [
        ...Array.from({ length: 2 }, () => loop("ListSessions FULL, large sessions", () => sessions.listSessions({ workflow: "archive", view: SessionView.FULL, pageSize: 500 }))),
        loop("ListSessions, scan of every session", () => sessions.listSessions({ market: "FR", pageSize: 500 })),
        loop("ListSessions BASIC, page of 500", () => sessions.listSessions({ pageSize: 500 })),
      ]
    : []),
  ...(kinds.has("usage") ? Array.from({ length: 2 }, (_, i) => loop("GetUsage over the crowd", () => billing.getUsage({ ...range, period: i === 0 ? UsagePeriod.DAY : UsagePeriod.MONTH }))) : []),
  // The flood: reads and writes back to back; every Submit's event goes to each open stream.
  ...(kinds.has("flood")
    ? [
        ...Array.from({ length: 8 }, () => loop("flood: GetSession", () => sessions.getSession({ sessionId: link.session!.id }))),
        ...Array.from({ length: 2 }, () => loop("flood: Submit", () => submissions.submit({ workflow: "flood", identity: { fullName: "Noisy Neighbour" } }))),
      ]
    : []),
];
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "stop") {
    stop.abort();
    void Promise.all([...noise, ...held]).then(() => {
      const report = [...tally].map(([kind, outcomes]) => ({ kind, outcomes: Object.fromEntries(outcomes) }));
      process.send!({ cmd: "stop", report });
    });
  } else if (msg.cmd === "exit") {
    process.exit(0);
  }
});
process.send!({ cmd: "ready" });
