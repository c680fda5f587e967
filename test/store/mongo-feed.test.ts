import { Timestamp } from "mongodb";
import { describe, expect, it, vi } from "vitest";
import type { Session } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import { clusterCursor } from "../../src/store/mongo/feed.js";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { createMongoStore } from "../../src/store/mongo/mongo-store.js";
import { toSessionDoc } from "../../src/store/mongo/documents.js";
import type { FeedEvent } from "../../src/domain/store.js";
import { createFakeCollection } from "../support/mingo-collection.js";

const declared = indexDeclarations({ eventRetentionSeconds: 3600 });
function database() {
  return {
    sessions: createFakeCollection(declared.filter((i) => i.collection === "sessions")),
    events: createFakeCollection(declared.filter((i) => i.collection === "events")),
    apiKeys: createFakeCollection(),
    identityLinks: createFakeCollection(),
    configurations: createFakeCollection(declared.filter((i) => i.collection === "configurations")),
  };
}
function replica(db: ReturnType<typeof database>, feedMode: "poll" | "change-stream") {
  return createMongoStore({
    collections: {
      sessions: db.sessions.collection,
      events: db.events.collection,
      apiKeys: db.apiKeys.collection,
      identityLinks: db.identityLinks.collection,
      configurations: db.configurations.collection,
    },
    ping: async () => {},
    isReplicaSet: async () => feedMode === "change-stream",
    feedMode,
  });
}
let n = 0;
const session = (tenantId = "acme"): Session =>
  createSession(
    { tenantId, id: `0197f665-6c88-7512-bc33-${String(++n).padStart(12, "0")}`, workflow: "w", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy },
    new Date("2026-01-01T00:00:00Z"),
  );

describe("event feed across replicas", () => {
  it("polling: a replica's watchers see events another replica wrote, and resume by cursor", async () => {
    const db = database();
    const a = replica(db, "poll");
    const b = replica(db, "poll");
    await a.feed.start();
    await b.feed.start();
    const seen: FeedEvent[] = [];
    b.events.subscribe((events) => seen.push(...events));
    const s = session();
    await a.sessions.insert(s);
    await vi.waitFor(() => expect(seen.map((e) => [e.sessionId, e.event.type])).toEqual([[s.id, "OPENED"]]), { timeout: 3000 });
    const next = { ...s, version: 1, events: [...s.events, { sequence: 2, type: "SUBMISSION" as const, time: new Date(), state: "OPEN" as const }] };
    await b.sessions.update(next, s);
    expect((await a.events.read("acme", seen[0]!.cursor, 10)).map((e) => e.event.sequence)).toEqual([2]);
    await a.close();
    await b.close();
  });

  it("change streams: each insert or replace publishes its new events with cluster-time cursors, once", async () => {
    const db = database();
    const a = replica(db, "change-stream");
    const b = replica(db, "change-stream");
    await a.feed.start();
    await b.feed.start();
    expect(db.sessions.streams).toHaveLength(2); // every replica watches
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.events.subscribe((events) => seenA.push(...events.map((e) => e.cursor)));
    b.events.subscribe((events) => seenB.push(...events.map((e) => e.cursor)));

    const s = session();
    const withSubmission = { ...s, version: 1, events: [...s.events, { sequence: 2, type: "SUBMISSION" as const, time: new Date(), state: "OPEN" as const }] };
    const changes = [
      { operationType: "insert", clusterTime: new Timestamp({ t: 1_767_225_600, i: 1 }), fullDocument: toSessionDoc(s, 0, 1e12) },
      { operationType: "replace", clusterTime: new Timestamp({ t: 1_767_225_600, i: 2 }), fullDocument: toSessionDoc(withSubmission, 1, 1e12) },
    ];
    for (const change of changes) for (const stream of db.sessions.streams) stream.emit("change", change);
    const expected = [clusterCursor(changes[0]!.clusterTime, 0), clusterCursor(changes[1]!.clusterTime, 0)];
    await vi.waitFor(() => expect(seenB).toEqual(expected));
    await vi.waitFor(() => expect(seenA).toEqual(expected));
    expect([...expected].sort()).toEqual(expected);
    // Both replicas materialized the same events; the cursor as _id keeps one copy of each.
    expect(db.events.docs.map((d) => d["_id"])).toEqual(expected);
    expect((await b.events.read("acme", expected[0], 10)).map((e) => e.event.type)).toEqual(["SUBMISSION"]);

    // A restarted replica resumes its stream where the feed ends.
    const c = replica(db, "change-stream");
    await c.feed.start();
    expect(db.sessions.streams.at(-1)!.options["startAtOperationTime"]).toEqual(changes[1]!.clusterTime);
  });
});
