import type { Db } from "mongodb";
import { describe, expect, it } from "vitest";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import { createSession, sealChange } from "../../src/domain/stitching.js";
import { requireChangeStreams } from "../../src/store/mongo/connect.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";

const dbAnswering = (hello: Record<string, unknown>) => ({ admin: () => ({ command: async () => hello }) }) as unknown as Pick<Db, "admin">;

describe("what the MongoDB store asks of its deployment", () => {
  it("refuses a standalone server, naming the single-node replica set, and accepts a replica set or mongos", async () => {
    await expect(requireChangeStreams(dbAnswering({ isWritablePrimary: true }))).rejects.toThrow(/standalone[\s\S]*single-node replica set[\s\S]*--replSet/);
    await expect(requireChangeStreams(dbAnswering({ setName: "rs0" }))).resolves.toBeUndefined();
    await expect(requireChangeStreams(dbAnswering({ msg: "isdbgrid" }))).resolves.toBeUndefined();
  });

  it("answers a write the server refuses as too large with SESSION_FULL, not INTERNAL, and changes nothing", async () => {
    const store = await startFakeReplica(createFakeDatabase());
    const created = createSession({ tenantId: "acme", id: "0197f665-6c88-7512-bc33-000000000001", workflow: "w", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy }, new Date());
    const s = sealChange(created, { requestId: "r1", fingerprint: "", procedure: "/p", principal: "key:k", provided: {} }, {}, new Date());
    await store.sessions.insert(s);
    const huge = { ...s, version: s.version + 1, reference: "x".repeat(17 * 1024 * 1024) };
    await expect(store.sessions.update(huge, s)).rejects.toMatchObject({ reason: "SESSION_FULL", status: "resource-exhausted" });
    expect((await store.sessions.get("acme", s.id))?.version).toBe(s.version);
    await store.close();
  });
});
