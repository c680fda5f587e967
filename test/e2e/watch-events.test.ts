import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventService, type WatchEventsResponse } from "../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { clientsFor, grpcProtocols, transportFor, urlFor, type Clients } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** The tenant-wide stream: resumable by cursor, filtered, with heartbeats, at scale. */
describe.each(grpcProtocols)("WatchEvents, gRPC over %s", (protocol) => {
  let server: TestServer;
  let c: Clients;
  let events: Client<typeof EventService>;

  beforeEach(async () => {
    server = await startTestServer({ heartbeatMs: 100 });
    c = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
    events = createClient(EventService, transportFor(protocol, urlFor(protocol, server), server.keys.acme));
  });
  afterEach(() => server.close());

  const eventsOf = (rs: WatchEventsResponse[]) => rs.flatMap((r) => (r.kind.case === "event" ? [r.kind.value] : []));

  it("resumes from the last cursor and sees every event exactly once, in order per session", async () => {
    const received: WatchEventsResponse[] = [];
    const controller = new AbortController();
    const first = (async () => {
      try {
        for await (const r of events.watchEvents({ fromBeginning: true }, { signal: controller.signal })) {
          received.push(r);
          if (eventsOf(received).length === 3) controller.abort(); // drop the connection mid-stream
        }
      } catch (e) {
        expect(ConnectError.from(e).code).toBe(Code.Canceled);
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    const a = await c.submissions.submit({ workflow: "bank-signup" });
    const b = await c.submissions.submit({ workflow: "bank-signup" });
    await first;
    // While disconnected, more happens.
    await c.submissions.submit({ sessionId: a.session!.id, workflow: "bank-signup" });
    await c.submissions.submit({ sessionId: b.session!.id, workflow: "bank-signup", complete: true });
    const cursor = eventsOf(received).at(-1)!.cursor;
    const rest: WatchEventsResponse[] = [];
    const controller2 = new AbortController();
    const resumed = (async () => {
      try {
        for await (const r of events.watchEvents({ afterCursor: cursor }, { signal: controller2.signal })) {
          rest.push(r);
          if (eventsOf(rest).some((e) => e.type === LifecycleEventType.RESOLVED && e.sessionId === a.session!.id)) controller2.abort();
        }
      } catch {
        // cancelled on purpose
      }
    })();
    await c.submissions.submit({ sessionId: a.session!.id, workflow: "bank-signup", complete: true });
    await resumed;
    const all = [...eventsOf(received), ...eventsOf(rest)];
    expect(new Set(all.map((e) => e.cursor)).size).toBe(all.length);
    expect([...all.map((e) => e.cursor)].sort()).toEqual(all.map((e) => e.cursor));
    for (const id of [a.session!.id, b.session!.id]) {
      const { session } = await c.sessions.getSession({ sessionId: id });
      const sequences = all.filter((e) => e.sessionId === id).map((e) => Number(e.sequence));
      expect(sequences).toEqual(Array.from({ length: Number(session!.lastEventSequence) }, (_, i) => i + 1));
    }
  });

  it("filters by workflow and type, and sends heartbeats carrying a resume cursor while idle", async () => {
    const got: WatchEventsResponse[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      try {
        for await (const r of events.watchEvents({ filter: { workflow: "kyc", types: [LifecycleEventType.OPENED] } }, { signal: controller.signal })) {
          got.push(r);
          if (got.filter((x) => x.kind.case === "heartbeat").length >= 2 && eventsOf(got).length >= 1) controller.abort();
        }
      } catch {
        // cancelled on purpose
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    await c.submissions.submit({ workflow: "bank-signup" });
    const kyc = await c.submissions.submit({ workflow: "kyc" });
    await watching;
    expect(eventsOf(got).map((e) => [e.workflow, LifecycleEventType[e.type], e.sessionId])).toEqual([["kyc", "OPENED", kyc.session!.id]]);
    const beat = got.filter((r) => r.kind.case === "heartbeat").at(-1)!;
    expect(beat.kind.case === "heartbeat" && beat.kind.value.cursor).toMatch(/^\d{16}$/);
  });

  it("refuses malformed cursors and filters", async () => {
    const reason = async (req: Parameters<typeof events.watchEvents>[0]) => {
      try {
        for await (const _ of events.watchEvents(req)) break;
      } catch (e) {
        return ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.reason;
      }
    };
    expect(await reason({ afterCursor: "yesterday" })).toBe("INVALID_REQUEST");
    expect(await reason({ filter: { workflow: "Not A Workflow" } })).toBe("INVALID_REQUEST");
    expect(await reason({ filter: { types: [99 as LifecycleEventType] } })).toBe("INVALID_REQUEST");
  });

  it("holds 1,000 concurrent streams on one server and delivers each event to all of them", async () => {
    const streams = 1000;
    const controller = new AbortController();
    const counts = new Array<number>(streams).fill(0);
    let ready = 0;
    const done = Array.from({ length: streams }, async (_, i) => {
      try {
        for await (const r of events.watchEvents({ filter: { types: [LifecycleEventType.OPENED] } }, { signal: controller.signal })) {
          if (r.kind.case === "heartbeat") continue;
          counts[i]!++;
        }
      } catch {
        // cancelled on purpose
      }
    });
    while (server.app.openStreams() < streams) await new Promise((r) => setTimeout(r, 20));
    ready = server.app.openStreams();
    for (let i = 0; i < 3; i++) await c.submissions.submit({ workflow: "bank-signup" });
    const deadline = Date.now() + 15_000;
    while (counts.some((n) => n < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await Promise.all(done);
    expect(ready).toBe(streams);
    expect(counts.every((n) => n === 3)).toBe(true);
  }, 30_000);

  it("ends open streams with UNAVAILABLE on shutdown so clients resume elsewhere", async () => {
    const outcome = (async () => {
      try {
        for await (const _ of events.watchEvents({})) {
          // keep reading
        }
        return "ended without an error";
      } catch (e) {
        return ConnectError.from(e).code;
      }
    })();
    while (server.app.openStreams() < 1) await new Promise((r) => setTimeout(r, 10));
    await server.close();
    expect(await outcome).toBe(Code.Unavailable);
  });
});
