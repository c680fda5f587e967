import { createClient, type Transport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openAsFrontEnd, refusalOf, type Refusal } from "./refusal.js";

/** A WatchSession stream whose first event has arrived, or the refusal it met. */
async function watch(transport: Transport, sessionId: string, open: (() => void)[]): Promise<Refusal | undefined> {
  const abort = new AbortController();
  const stream = createClient(EventService, transport).watchSession({ sessionId }, { signal: abort.signal })[Symbol.asyncIterator]();
  const refused = await refusalOf(stream.next());
  if (!refused) open.push(() => abort.abort());
  return refused;
}

describe("stream caps for front ends", () => {
  let server: AbuseServer | undefined;
  const open: (() => void)[] = [];
  afterEach(async () => {
    for (const stop of open.splice(0)) stop();
    await server?.close();
    server = undefined;
  });

  it("keep a client token's streams apart from its tenant's: a front end cannot lock the backends out", async () => {
    server = await startAbuseServer({ maxStreamsPerTenant: 5, maxClientStreamsPerSession: 2, maxClientStreamsPerTenant: 3 });
    const frontEnd = await openAsFrontEnd(server.url, server.key);
    const asClient = transportFor("connect-json-h1", server.url, frontEnd.token);
    const refusals: (Refusal | undefined)[] = [];
    for (let i = 0; i < 6; i++) refusals.push(await watch(asClient, frontEnd.sessionId, open));
    expect(refusals.slice(0, 2)).toEqual([undefined, undefined]);
    for (const r of refusals.slice(2)) expect(r).toMatchObject({ reason: "TOO_MANY_STREAMS", metadata: { limit: "client_session", max: "2" } });

    // The tenant's own budget is whole.
    const backend = transportFor("grpc-h2", server.url, server.key);
    for (let i = 0; i < 5; i++) expect(await watch(backend, frontEnd.sessionId, open)).toBeUndefined();
    expect(await watch(backend, frontEnd.sessionId, open)).toMatchObject({ reason: "TOO_MANY_STREAMS", metadata: { limit: "tenant", max: "5" } });
    expect(server.app.openStreams()).toBe(7);
  });

  it("share one front-end pool per tenant across its sessions, and free a place when a stream ends", async () => {
    server = await startAbuseServer({ maxStreamsPerTenant: 5, maxClientStreamsPerSession: 2, maxClientStreamsPerTenant: 3 });
    const first = await openAsFrontEnd(server.url, server.key);
    const second = await openAsFrontEnd(server.url, server.key);
    const third = await openAsFrontEnd(server.url, server.key);
    const as = (fe: { token: string }) => transportFor("connect-json-h1", server!.url, fe.token);
    expect(await watch(as(first), first.sessionId, open)).toBeUndefined();
    expect(await watch(as(first), first.sessionId, open)).toBeUndefined();
    expect(await watch(as(second), second.sessionId, open)).toBeUndefined();
    expect(await watch(as(third), third.sessionId, open)).toMatchObject({ reason: "TOO_MANY_STREAMS", metadata: { limit: "client_tenant" } });
    // Another tenant's front ends have their own pool.
    const other = await openAsFrontEnd(server.url, server.otherKey);
    expect(await watch(as(other), other.sessionId, open)).toBeUndefined();

    open.shift()!();
    await expect.poll(() => watch(as(third), third.sessionId, open), { timeout: 2_000 }).toBeUndefined();
  });
});
