import { Timestamp } from "mongodb";
import { describe, expect, it, vi } from "vitest";
import type { FeedEvent } from "../../src/domain/event-feed.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { Session, SessionEvent } from "../../src/domain/session.js";
import { createSession, sealChange } from "../../src/domain/stitching.js";
import { clusterCursor } from "../../src/store/mongo/change-events.js";
import type { MongoStore } from "../../src/store/mongo/mongo-store.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";

let n = 0;
/** A new session as the service writes one: with the audit record of the request that made it. */
const session = (tenantId = "acme"): Session => {
  const id = `0197f665-6c88-7512-bc33-${String(++n).padStart(12, "0")}`;
  const s = createSession({ tenantId, id, workflow: "w", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy }, new Date("2026-01-01T00:00:00Z"));
  return sealChange(s, { requestId: `r-${id}`, fingerprint: "", procedure: "/p", principal: "key:k", provided: {} }, {}, s.createTime);
};
const withEvents = (s: Session, count: number): Session => {
  const added: SessionEvent[] = Array.from({ length: count }, (_, i) => ({ sequence: s.events.length + i + 1, type: "SUBMISSION", time: new Date(), state: "OPEN" }));
  return { ...s, version: s.version + 1, events: [...s.events, ...added] };
};
const record = (store: MongoStore) => {
  const seen: FeedEvent[] = [];
  store.events.subscribe((events) => seen.push(...events));
  return seen;
};
const key = (e: FeedEvent) => `${e.sessionId}#${e.event.sequence}`;

describe("the MongoDB event feed across replicas", () => {
  it("gives every replica every committed event once, in commit order, with ordered cursors, even when writes commit out of order", async () => {
    const fake = createFakeDatabase({ commitLatencyMs: [0, 4], replyLatencyMs: [0, 3] });
    const replicas = await Promise.all([startFakeReplica(fake), startFakeReplica(fake), startFakeReplica(fake)]);
    const seen = replicas.map(record);
    const sessions = Array.from({ length: 12 }, () => session());
    // Concurrent writers on every replica: inserts, then each session grows by one write of two events.
    await Promise.all(sessions.map((s, i) => replicas[i % 3]!.sessions.insert(s)));
    await Promise.all(sessions.map((s, i) => replicas[(i + 1) % 3]!.sessions.update(withEvents(s, 2), s)));
    await fake.idle();
    const expected = sessions.flatMap((s) => [1, 2, 3].map((q) => `${s.id}#${q}`)).sort();
    for (const s of seen) await vi.waitFor(() => expect(s.map(key).sort()).toEqual(expected));
    for (const s of seen) {
      const cursors = s.map((e) => e.cursor);
      expect([...cursors].sort()).toEqual(cursors); // delivered in feed order
      expect(new Set(cursors).size).toBe(cursors.length);
      for (const id of sessions.map((x) => x.id)) {
        expect(s.filter((e) => e.sessionId === id).map((e) => e.event.sequence)).toEqual([1, 2, 3]);
      }
    }
    // Every replica delivered the same feed; the collection holds each event once.
    expect(seen[1]!.map((e) => e.cursor)).toEqual(seen[0]!.map((e) => e.cursor));
    expect(fake.docs("events").map((d) => d["_id"]).sort()).toEqual(seen[0]!.map((e) => e.cursor));
    // Everything at or below a replica's stable point is readable.
    const stable = replicas[2]!.events.stablePoint();
    expect((await replicas[2]!.events.read("acme", undefined, stable, 1000)).map((e) => e.cursor)).toEqual(seen[2]!.map((e) => e.cursor));
    await Promise.all(replicas.map((r) => r.close()));
  });

  it("goes down when its change stream fails, tells subscribers, and resumes from the last change without loss or repeat", async () => {
    const fake = createFakeDatabase();
    const a = await startFakeReplica(fake);
    const b = await startFakeReplica(fake);
    const seen = record(b);
    const downs: Error[] = [];
    b.events.subscribe(() => {}, (e) => downs.push(e));
    const s = session();
    await a.sessions.insert(s);
    await vi.waitFor(() => expect(seen.map(key)).toEqual([`${s.id}#1`]));
    fake.failChangeStreams();
    await vi.waitFor(() => expect(downs).toHaveLength(1));
    expect(b.events.healthy()).toBe(false);
    // Written while b's stream is down: it must arrive once the stream is back.
    await a.sessions.update(withEvents(s, 2), s);
    await vi.waitFor(() => expect(b.events.healthy()).toBe(true));
    await vi.waitFor(() => expect(seen.map(key)).toEqual([1, 2, 3].map((q) => `${s.id}#${q}`)));
    await a.close();
    await b.close();
  });

  it("goes down when materializing fails, and delivers nothing it could not store", async () => {
    const fake = createFakeDatabase();
    const a = await startFakeReplica(fake);
    const seen = record(a);
    fake.failWrites({ when: "before-commit", count: 1, match: (op) => op.collection === "events" });
    const s = session();
    await a.sessions.insert(s);
    await vi.waitFor(() => expect(seen.map(key)).toEqual([`${s.id}#1`]));
    expect(fake.docs("events")).toHaveLength(1);
    expect(a.events.healthy()).toBe(true);
    await a.close();
  });

  it("a restarted replica resumes from the checkpoint, so events written while every replica was down still enter the feed", async () => {
    const fake = createFakeDatabase();
    const a = await startFakeReplica(fake, { });
    const s = session();
    await a.sessions.insert(s);
    await vi.waitFor(() => expect(fake.docs("feedState")).toHaveLength(1));
    await a.close();
    // No replica runs now; a write still happens (a replica that crashed mid-request, say).
    const writer = await startFakeReplica(fake);
    await writer.feed.stop();
    await writer.sessions.update(withEvents(s, 1), s);
    const b = await startFakeReplica(fake);
    await vi.waitFor(() => expect(fake.docs("events").map((d) => d["event"].sequence).sort()).toEqual([1, 2]));
    await b.close();
  });

  it("keeps cursors ordered after 2038, when the cluster time's signed high word turns negative", async () => {
    const before = new Timestamp({ t: 2 ** 31 - 1, i: 7 });
    const after = new Timestamp({ t: 2 ** 31 + 5, i: 1 });
    expect(clusterCursor(after, 0) > clusterCursor(before, 3)).toBe(true);
    expect(clusterCursor(after, 0)).toBe("80000005" + "00000001" + "00000000");
    const fake = createFakeDatabase({ startTime: { t: 2 ** 31 + 5, i: 1 } });
    const a = await startFakeReplica(fake);
    const seen = record(a);
    const s = session();
    await a.sessions.insert(s);
    await a.sessions.update(withEvents(s, 1), s);
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen.every((e) => e.cursor.startsWith("80000005"))).toBe(true);
    expect(seen[1]!.cursor > seen[0]!.cursor).toBe(true);
    await a.close();
  });

  it("refuses to resume from a cursor older than the retained events, naming the oldest one left", async () => {
    const fake = createFakeDatabase();
    let now = new Date(1_800_000_000 * 1000); // the fake's cluster time starts here
    const a = await startFakeReplica(fake, { now: () => now, eventRetentionSeconds: 7 * 86_400 });
    const seen = record(a);
    const s = session();
    await a.sessions.insert(s);
    await a.sessions.update(withEvents(s, 2), s);
    await vi.waitFor(() => expect(seen).toHaveLength(3));
    const [first, second, third] = seen.map((e) => e.cursor);
    expect(await a.events.checkResumable("acme", first!)).toBeUndefined(); // young: nothing purged yet
    now = new Date(now.getTime() + 8 * 86_400_000);
    await fake.collection("events").deleteOne({ _id: first }); // the TTL monitor purged the oldest
    expect(await a.events.checkResumable("acme", first!)).toEqual({ oldestCursor: second });
    expect(await a.events.checkResumable("acme", second!)).toBeUndefined();
    await fake.collection("events").deleteMany({}); // all purged: any old cursor may have missed events
    expect(await a.events.checkResumable("acme", third!)).toEqual({ oldestCursor: a.events.stablePoint() });
    await a.close();
  });
});
