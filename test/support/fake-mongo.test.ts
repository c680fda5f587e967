import { BSON, MongoBulkWriteError, MongoNetworkError, MongoServerError, Timestamp, type Db, type Document } from "mongodb";
import { describe, expect, it, vi } from "vitest";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { ensureIndexes } from "../../src/store/mongo/mongo-store.js";
import { createFakeMongo } from "./fake-mongo/index.js";

/** A small seeded generator (mulberry32), so latencies, and thus commit orders, repeat. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What watch() returns, typed loosely: the driver's ChangeStream type, implemented by the fake. */
interface Stream {
  on(event: string, listener: (...args: any[]) => void): unknown;
}

function collect(stream: Stream) {
  const changes: Document[] = [];
  const errors: MongoServerError[] = [];
  let closes = 0;
  stream.on("change", (c: Document) => changes.push(c));
  stream.on("error", (e: MongoServerError) => errors.push(e));
  stream.on("close", () => closes++);
  return { changes, errors, closes: () => closes };
}

async function rejection(promise: Promise<unknown>): Promise<MongoServerError> {
  try {
    await promise;
  } catch (e) {
    return e as MongoServerError;
  }
  throw new Error("expected the operation to fail");
}

const ids = (changes: Document[]) => changes.map((c) => c["documentKey"]["_id"]);
const sessionIndexes = indexDeclarations({ eventRetentionSeconds: 3600 });

describe("fake MongoDB: reads and writes", () => {
  it("with no latency behaves like a plain store, still asynchronously, and every view shares the data", async () => {
    const fake = createFakeMongo();
    const a = fake.collection("items");
    const b = fake.collection("items");
    const pending = a.insertOne({ _id: 1, n: 1, skipped: undefined });
    expect(fake.docs("items")).toEqual([]); // not committed synchronously
    await pending;
    await a.insertMany([
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
    expect(await b.findOne({ _id: 1 })).toEqual({ _id: 1, n: 1 }); // undefined dropped, as with ignoreUndefined
    expect(await b.find({ n: { $gte: 2 } }, { sort: { n: -1 }, limit: 1, projection: { n: 1 } }).toArray()).toEqual([{ _id: 3, n: 3 }]);
    expect(await b.find({}).sort({ n: -1 }).limit(2).toArray()).toHaveLength(2);
    expect(await b.countDocuments({ n: { $lt: 3 } })).toBe(2);
    expect(await b.estimatedDocumentCount()).toBe(3);
    expect(await b.aggregate([{ $group: { _id: null, total: { $sum: "$n" } } }]).toArray()).toEqual([{ _id: null, total: 6 }]);
    expect(await a.deleteMany({ n: { $gt: 1 } })).toEqual({ acknowledged: true, deletedCount: 2 });
    expect(fake.docs("items")).toEqual([{ _id: 1, n: 1 }]);
  });

  it("commits concurrent writes in random order, atomically, and streams them in commit order with increasing cluster times", async () => {
    const fake = createFakeMongo({ random: seeded(7), commitLatencyMs: [0, 8], replyLatencyMs: [0, 4] });
    const items = fake.collection("items");
    const { changes } = collect(items.watch());
    const issued = Array.from({ length: 20 }, (_, n) => n);
    await Promise.all(issued.map((n) => items.insertOne({ _id: n })));
    await fake.idle();

    const committed = fake.docs("items").map((d) => d["_id"]);
    expect(committed).not.toEqual(issued);
    expect([...committed].sort((x, y) => x - y)).toEqual(issued);
    expect(ids(changes)).toEqual(committed);
    expect(ids(fake.oplog)).toEqual(committed);
    for (let k = 1; k < changes.length; k++) {
      const [before, after] = [changes[k - 1]!, changes[k]!];
      expect((after["clusterTime"] as Timestamp).greaterThan(before["clusterTime"] as Timestamp)).toBe(true);
      expect(after["_id"]["_data"] > before["_id"]["_data"]).toBe(true);
    }
  });

  it("evaluates a version guard at commit: of two racing writers exactly one matches, not always the first issued", async () => {
    const winners = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const fake = createFakeMongo({ random: seeded(seed), commitLatencyMs: [0, 3] });
      const sessions = fake.collection("sessions");
      await sessions.insertOne({ _id: "s", version: 3 });
      const race = (by: string) => sessions.updateOne({ _id: { $eq: "s" }, version: { $eq: 3 } }, { $set: { version: 4, by } });
      const [a, b] = await Promise.all([race("a"), race("b")]);
      expect(a.matchedCount + b.matchedCount).toBe(1);
      const winner = a.matchedCount === 1 ? "a" : "b";
      expect(fake.docs("sessions")).toEqual([{ _id: "s", version: 4, by: winner }]);
      winners.add(winner);
    }
    expect(winners).toEqual(new Set(["a", "b"]));
  });

  it("applies update operators as the server does and reports updatedFields in its shapes", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    const { changes } = collect(items.watch());
    await items.insertOne({ _id: 1, a: { b: 1 }, arr: [1, 2], n: 5, gone: true, same: "x", tags: ["t"] });

    const result = await items.updateOne(
      { _id: 1 },
      { $set: { "a.b": 2, same: "x", "p.q": 1 }, $push: { arr: { $each: [3, 4] } }, $inc: { n: 2 }, $unset: { gone: "" } } as Document,
    );
    expect(result).toEqual({ acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null });
    await fake.idle();
    expect(changes.at(-1)!["updateDescription"]).toEqual({
      updatedFields: { "a.b": 2, "arr.2": 3, "arr.3": 4, n: 7, p: { q: 1 } },
      removedFields: ["gone"],
      truncatedArrays: [],
    });
    expect(changes.at(-1)!).not.toHaveProperty("fullDocument");

    // A $set to the value already there is a no-op: no write, no change event.
    const before = fake.oplog.length;
    expect(await items.updateOne({ _id: 1 }, { $set: { same: "x" }, $max: { n: 1 }, $addToSet: { tags: "t" } })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    await fake.idle();
    expect(fake.oplog).toHaveLength(before);
    expect(changes).toHaveLength(2);

    await items.updateOne({ _id: 1 }, { $max: { n: 9 }, $min: { low: 0 }, $addToSet: { tags: { $each: ["t", "u"] } } });
    expect(fake.docs("items")[0]).toMatchObject({ n: 9, low: 0, tags: ["t", "u"] });

    expect(await rejection(items.updateOne({ _id: 1 }, { $push: { n: 1 } } as Document))).toMatchObject({ code: 2, codeName: "BadValue" });
    expect(await rejection(items.updateOne({ _id: 1 }, { $inc: { same: 1 } }))).toMatchObject({ code: 14, codeName: "TypeMismatch" });
    expect(await rejection(items.updateOne({ _id: 1 }, { $set: { "n.x": 1 } }))).toMatchObject({ code: 28, codeName: "PathNotViable" });
    expect(await rejection(items.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).toMatchObject({ code: 66 });
    expect(fake.docs("items")[0]).toMatchObject({ n: 9, same: "x" });

    // An upsert starts from the filter's equalities, applies $setOnInsert, and is an insert.
    const upserted = await items.updateOne({ _id: { $eq: 7 }, kind: "k" }, { $set: { v: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(upserted).toMatchObject({ matchedCount: 0, upsertedCount: 1, upsertedId: 7 });
    expect(fake.docs("items")[1]).toEqual({ _id: 7, kind: "k", created: true, v: 1 });
    await items.updateOne({ _id: 7 }, { $set: { v: 2 }, $setOnInsert: { created: false } }, { upsert: true });
    expect(fake.docs("items")[1]).toMatchObject({ created: true, v: 2 });
    await fake.idle();
    expect(changes.map((c) => c["operationType"])).toEqual(["insert", "update", "update", "insert", "update"]);
  });

  it("raises duplicate key errors naming the index, for multikey and partial unique indexes, on insert, update and upsert", async () => {
    const fake = createFakeMongo();
    fake.declareIndexes(sessionIndexes);
    const sessions = fake.collection("sessions");
    await sessions.insertOne({ _id: "s1", tenantId: "acme", audit: [{ requestId: "r0" }, { requestId: "r1" }] });
    await sessions.insertOne({ _id: "s2", tenantId: "acme", audit: [{ requestId: "r2" }] });
    await sessions.insertOne({ _id: "s3", tenantId: "other", audit: [{ requestId: "r1" }] }); // another tenant

    const onInsert = await rejection(sessions.insertOne({ _id: "s4", tenantId: "acme", audit: [{ requestId: "r9" }, { requestId: "r1" }] }));
    expect(onInsert).toBeInstanceOf(MongoServerError);
    expect(onInsert).toMatchObject({
      code: 11000,
      keyPattern: { tenantId: 1, "audit.requestId": 1 },
      keyValue: { tenantId: "acme", "audit.requestId": "r1" },
    });
    expect(onInsert.message).toBe('E11000 duplicate key error collection: sessionflow.sessions index: tenant_request_id dup key: { tenantId: "acme", audit.requestId: "r1" }');

    const onUpdate = await rejection(sessions.updateOne({ _id: "s2" }, { $push: { audit: { requestId: "r1" } } } as Document));
    expect(onUpdate.message).toContain("index: tenant_request_id");
    const onReplace = await rejection(sessions.replaceOne({ _id: "s2" }, { tenantId: "acme", audit: [{ requestId: "r0" }] }));
    expect(onReplace.code).toBe(11000);
    const onUpsert = await rejection(sessions.updateOne({ _id: "s5", tenantId: "acme" }, { $setOnInsert: { audit: [{ requestId: "r2" }] } }, { upsert: true }));
    expect(onUpsert.message).toContain("index: tenant_request_id");
    expect((await rejection(sessions.insertOne({ _id: "s1", tenantId: "x", audit: [{ requestId: "z" }] }))).message).toContain("index: _id_ dup key: { _id: \"s1\" }");
    expect(fake.docs("sessions").map((d) => d["_id"])).toEqual(["s1", "s2", "s3"]);
    expect(fake.docs("sessions")[1]!["audit"]).toEqual([{ requestId: "r2" }]);

    // Partial: only documents with `replaces` take part.
    await sessions.insertOne({ _id: "n1", tenantId: "acme", audit: [{ requestId: "n1" }] });
    await sessions.insertOne({ _id: "n2", tenantId: "acme", audit: [{ requestId: "n2" }], replaces: "old" });
    const onPartial = await rejection(sessions.insertOne({ _id: "n3", tenantId: "acme", audit: [{ requestId: "n3" }], replaces: "old" }));
    expect(onPartial.message).toContain("index: tenant_replaces");
    await sessions.insertOne({ _id: "n4", tenantId: "beta", audit: [{ requestId: "n4" }], replaces: "old" });
  });

  it("stands in for a Db: ensureIndexes creates the declared indexes; createIndex fails over existing duplicates", async () => {
    const fake = createFakeMongo();
    await ensureIndexes(fake as unknown as Db, 3600);
    expect(fake.commandsOf("sessions").filter((c) => c === "createIndex")).toHaveLength(sessionIndexes.filter((i) => i.collection === "sessions").length);
    const configurations = fake.collection("configurations");
    await configurations.insertOne({ _id: "acme:1", tenantId: "acme", version: 1 });
    expect((await rejection(configurations.insertOne({ _id: "acme:1b", tenantId: "acme", version: 1 }))).message).toContain("index: tenant_version");

    const items = fake.collection("items");
    await items.insertMany([{ k: 1 }, { k: 1 }]);
    expect((await rejection(items.createIndex({ k: 1 }, { unique: true }))).message).toContain("index: k_1 dup key: { k: 1 }");
    await items.deleteOne({ k: 1 });
    expect(await items.createIndex({ k: 1 }, { unique: true })).toBe("k_1");
    expect((await rejection(items.insertOne({ k: 1 }))).code).toBe(11000);
  });

  it("replaceOne: an upsert takes the filter's _id, an identical replacement is a no-op, a changed _id is refused", async () => {
    const fake = createFakeMongo();
    const links = fake.collection("identityLinks");
    expect(await links.replaceOne({ _id: { $eq: "acme:s1" } }, { keys: ["a"] }, { upsert: true })).toMatchObject({ upsertedCount: 1, upsertedId: "acme:s1" });
    expect(await links.replaceOne({ _id: "acme:s1" }, { keys: ["a"] })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    expect(await links.replaceOne({ _id: "acme:s1" }, { _id: "acme:s1", keys: ["b"] })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await rejection(links.replaceOne({ _id: "acme:s1" }, { _id: "other", keys: ["c"] }))).toMatchObject({ code: 66 });
    expect(fake.oplog.map((c) => c["operationType"])).toEqual(["insert", "replace"]);
    expect(fake.docs("identityLinks")).toEqual([{ _id: "acme:s1", keys: ["b"] }]);
  });

  it("insertMany: unordered continues past duplicates, ordered stops, both with the driver's bulk error", async () => {
    const fake = createFakeMongo();
    const events = fake.collection("events");
    await events.insertOne({ _id: "b" });
    const unordered = await rejection(events.insertMany([{ _id: "a" }, { _id: "b" }, { _id: "c" }], { ordered: false }));
    expect(unordered).toBeInstanceOf(MongoBulkWriteError);
    expect((unordered as MongoBulkWriteError).writeErrors).toMatchObject([{ code: 11000, index: 1 }]);
    expect((unordered as MongoBulkWriteError).insertedCount).toBe(2);
    expect(fake.docs("events").map((d) => d["_id"])).toEqual(["b", "a", "c"]);
    const ordered = await rejection(events.insertMany([{ _id: "d" }, { _id: "a" }, { _id: "e" }]));
    expect((ordered as MongoBulkWriteError).writeErrors).toMatchObject([{ code: 11000, index: 1 }]);
    expect(fake.docs("events").map((d) => d["_id"])).toEqual(["b", "a", "c", "d"]);
  });

  it("rejects documents over 16 MiB on insert (10334) and on update (17419), changing nothing", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    const big = "x".repeat(16 * 1024 * 1024);
    const onInsert = await rejection(items.insertOne({ _id: 1, big }));
    expect(onInsert).toMatchObject({ code: 10334, codeName: "BSONObjectTooLarge" });
    expect(fake.docs("items")).toEqual([]);

    const half = "y".repeat(9 * 1024 * 1024);
    await items.insertOne({ _id: 2, half });
    const oplogBefore = fake.oplog.length;
    const onUpdate = await rejection(items.updateOne({ _id: 2 }, { $set: { more: half } }));
    expect(onUpdate).toMatchObject({ code: 17419, message: "Resulting document after update is larger than 16777216" });
    const [stored] = fake.docs("items");
    expect(Object.keys(stored!)).toEqual(["_id", "half"]);
    expect(fake.oplog).toHaveLength(oplogBefore);
  });
});

describe("fake MongoDB: change streams", () => {
  it("resumes from the last token after failChangeStreams, losing and repeating nothing", async () => {
    const fake = createFakeMongo({ random: seeded(3), commitLatencyMs: [0, 6], replyLatencyMs: [0, 3] });
    const items = fake.collection("items");
    const first = items.watch([{ $match: { operationType: "insert" } }]);
    const seen = collect(first);
    await Promise.all(Array.from({ length: 10 }, (_, n) => items.insertOne({ _id: n })));
    await fake.idle();
    // Fail while a second batch is partly committed, and partly delivered at most.
    const writes = Promise.all(Array.from({ length: 20 }, (_, n) => items.insertOne({ _id: 10 + n })));
    await vi.waitFor(() => expect(fake.oplog.length).toBeGreaterThan(12), { interval: 1 });
    fake.failChangeStreams();
    expect(seen.errors).toHaveLength(1);
    expect(seen.errors[0]).toMatchObject({ code: 6, codeName: "HostUnreachable" });
    expect(seen.closes()).toBe(1);
    expect(first.closed).toBe(true);

    const second = collect(items.watch([{ $match: { operationType: "insert" } }], { resumeAfter: first.resumeToken }));
    await writes;
    await fake.idle();
    const committed = fake.docs("items").map((d) => d["_id"]);
    expect(seen.changes.length).toBeGreaterThanOrEqual(10);
    expect(second.changes.length).toBeGreaterThan(0);
    expect([...ids(seen.changes), ...ids(second.changes)]).toEqual(committed);
  });

  it("startAtOperationTime includes that cluster time; a start time after 2038 keeps ordering", async () => {
    const fake = createFakeMongo({ startTime: { t: 2 ** 31 + 5, i: 1 } });
    const items = fake.collection("items");
    for (const n of [1, 2, 3]) await items.insertOne({ _id: n });
    const second = fake.oplog[1]!["clusterTime"] as Timestamp;
    expect(second.t).toBe(2 ** 31 + 5);
    expect(second.high).toBeLessThan(0); // the signed high word, as BSON Timestamps report it
    const { changes } = collect(items.watch([], { startAtOperationTime: second }));
    await fake.idle();
    expect(ids(changes)).toEqual([2, 3]);
    await items.insertOne({ _id: 4 });
    await fake.idle();
    expect(ids(changes)).toEqual([2, 3, 4]);
  });

  it("fails with ChangeStreamHistoryLost (286) when the resume point has left the oplog", async () => {
    const fake = createFakeMongo({ oplogLimit: 3 });
    const items = fake.collection("items");
    for (const n of [1, 2, 3, 4, 5]) await items.insertOne({ _id: n });
    const [oldest] = fake.oplog;
    expect(oldest!["documentKey"]).toEqual({ _id: 3 });

    const lost = collect(items.watch([], { startAtOperationTime: new Timestamp({ t: (oldest!["clusterTime"] as Timestamp).t, i: 1 }) }));
    const lostToken = collect(items.watch([], { resumeAfter: { _data: "82" + "0".repeat(16) } }));
    const held = collect(items.watch([], { resumeAfter: oldest!["_id"] }));
    await fake.idle();
    await sleep(1);
    for (const stream of [lost, lostToken]) {
      expect(stream.errors).toMatchObject([{ code: 286, codeName: "ChangeStreamHistoryLost" }]);
      expect(stream.closes()).toBe(1);
    }
    expect(ids(held.changes)).toEqual([4, 5]);
  });

  it("close() closes the stream: `close` is emitted once and nothing more is delivered", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    const stream = items.watch();
    const seen = collect(stream);
    await items.insertOne({ _id: 1 });
    await fake.idle();
    await stream.close();
    await items.insertOne({ _id: 2 });
    await fake.idle();
    expect(stream.closed).toBe(true);
    expect(seen.closes()).toBe(1);
    expect(ids(seen.changes)).toEqual([1]);
    expect(stream.resumeToken).toEqual(seen.changes[0]!["_id"]);
  });

  it("failNextWatch fails only the next stream", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    fake.failNextWatch();
    const failed = collect(items.watch());
    const ok = collect(items.watch());
    await items.insertOne({ _id: 1 });
    await fake.idle();
    await sleep(1);
    expect(failed.errors).toHaveLength(1);
    expect(failed.closes()).toBe(1);
    expect(failed.changes).toEqual([]);
    expect(ids(ok.changes)).toEqual([1]);
  });

  it("updateLookup returns the document as it is when the change is emitted: possibly newer, or null once deleted", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    await items.insertOne({ _id: 1, v: 0 });
    const plain = items.watch();
    const lookup = items.watch([], { fullDocument: "updateLookup" });
    // No "change" listener yet: the streams hold their place, as the driver's do.
    await items.updateOne({ _id: 1 }, { $set: { v: 1 } });
    await items.updateOne({ _id: 1 }, { $set: { v: 2 } });
    const looked = collect(lookup);
    const raw = collect(plain);
    await fake.idle();
    expect(looked.changes.map((c) => c["updateDescription"]["updatedFields"]["v"])).toEqual([1, 2]);
    expect(looked.changes.map((c) => c["fullDocument"])).toEqual([
      { _id: 1, v: 2 },
      { _id: 1, v: 2 },
    ]);
    expect(raw.changes.map((c) => "fullDocument" in c)).toEqual([false, false]);

    const late = items.watch([], { fullDocument: "updateLookup" });
    await items.updateOne({ _id: 1 }, { $set: { v: 3 } });
    await items.deleteOne({ _id: 1 });
    const afterDelete = collect(late);
    await fake.idle();
    expect(afterDelete.changes.map((c) => [c["operationType"], c["fullDocument"]])).toEqual([
      ["update", null],
      ["delete", undefined],
    ]);
  });
});

describe("fake MongoDB: failure injection and counters", () => {
  it("fails writes with a network error before commit (nothing written) or after it (written, reply lost)", async () => {
    const fake = createFakeMongo();
    const items = fake.collection("items");
    fake.failWrites({ when: "before-commit" });
    expect(await rejection(items.insertOne({ _id: 1 }))).toBeInstanceOf(MongoNetworkError);
    expect(fake.docs("items")).toEqual([]);
    expect(fake.oplog).toEqual([]);

    fake.failWrites({ when: "after-commit", match: (op) => op.command === "insertOne" && op.documents?.[0]?.["_id"] === 2 });
    await items.insertOne({ _id: 3 }); // does not match
    expect(await rejection(items.insertOne({ _id: 2 }))).toBeInstanceOf(MongoNetworkError);
    expect(fake.docs("items")).toEqual([{ _id: 3 }, { _id: 2 }]);
    // A blind retry now meets its own earlier write.
    expect((await rejection(items.insertOne({ _id: 2 }))).code).toBe(11000);

    fake.failWrites({ when: "before-commit", count: 2, match: (op) => op.collection === "items" && op.command === "replaceOne" });
    for (let k = 0; k < 2; k++) expect(await rejection(items.replaceOne({ _id: 3 }, { v: k }))).toBeInstanceOf(MongoNetworkError);
    expect(await items.replaceOne({ _id: 3 }, { v: 9 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
  });

  it("counts commands in order and the BSON bytes sent and received", async () => {
    const fake = createFakeMongo();
    const sessions = fake.collection("sessions");
    const events = fake.collection("events");
    await sessions.insertOne({ _id: "warm-up" });
    fake.resetCounters();

    const doc = { _id: "s", tenantId: "acme", version: 1, events: [{ type: "OPENED" }] };
    const filter = { _id: { $eq: "s" }, version: { $eq: 1 } };
    const update: Document = { $set: { version: 2 }, $push: { events: { type: "SUBMITTED" } } };
    await sessions.insertOne(doc);
    await sessions.updateOne(filter, update);
    const found = await sessions.findOne({ _id: "s" });
    await events.find({}).toArray();

    expect(fake.commands).toEqual(["sessions.insertOne", "sessions.updateOne", "sessions.findOne", "events.find"]);
    expect(fake.commandsOf("sessions")).toEqual(["insertOne", "updateOne", "findOne"]);
    const size = (d: Document) => BSON.calculateObjectSize(d);
    expect(fake.bytesSent).toBe(size(doc) + size(filter) + size(update) + size({ _id: "s" }) + size({}));
    expect(fake.bytesReceived).toBe(size(found!));
  });
});
