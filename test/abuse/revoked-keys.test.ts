import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import type { ConfiguredKey } from "../../src/config.js";
import { issueApiKey, type Scope } from "../../src/domain/api-key.js";
import { createManualClock } from "../../src/domain/clock.js";
import type { Store } from "../../src/domain/store.js";
import { ensureDevelopmentKey, loadApiKeys } from "../../src/server/api-keys.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { bearer } from "../support/clients.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";
import { getSessionAs } from "./auth-calls.js";
import { startAuthServer, type AuthServer } from "./auth-server.js";

/** A key as the operator configures it (hash only), and its secret as the tenant holds it. */
function configured(tenant: string, keyScopes: Scope[]): { secret: string; entry: ConfiguredKey } {
  const { secret, key } = issueApiKey(tenant, keyScopes, new Date());
  return { secret, entry: { id: key.id, tenant, scopes: keyScopes, sha256: key.hash } };
}

/** Authenticated means anything but UNAUTHENTICATED: GetSession of an unknown id is NOT_FOUND. */
const authenticates = async (s: AuthServer, secret: string) => (await getSessionAs(s.url, { credential: secret })).code !== "Unauthenticated";
/** NOT_FOUND with the audit scope (the session is unknown), PERMISSION_DENIED without it. */
const auditTrail = (s: AuthServer, secret: string) =>
  createClient(SessionService, createGrpcTransport({ baseUrl: s.url, interceptors: [bearer(secret)] }))
    .getAuditTrail({ sessionId: "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" })
    .then(() => "OK", (e: unknown) => Code[ConnectError.from(e).code]);

const stores: [string, () => Promise<{ store: () => Promise<Store>; close: () => Promise<void> }>][] = [
  ["the embedded store", async () => {
    const store = createMemoryStore();
    return { store: async () => store, close: async () => {} };
  }],
  ["MongoDB (fake replica set)", async () => {
    const fake = createFakeDatabase();
    const replicas: Store[] = [];
    return {
      // Each replica of the service has its own store over the one database.
      store: async () => {
        const replica = await startFakeReplica(fake);
        replicas.push(replica);
        return replica;
      },
      close: async () => void (await Promise.all(replicas.map((r) => r.close()))),
    };
  }],
];

describe.each(stores)("API keys on %s: the configured set is the truth", (_name, makeDatabase) => {
  const clock = createManualClock(new Date("2026-03-02T09:00:00Z"));
  const servers: AuthServer[] = [];
  let closeDatabase = async () => {};
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await closeDatabase();
  });

  /** A replica of the service starting with `keys` configured, on the shared database. */
  async function startReplica(database: Awaited<ReturnType<(typeof stores)[number][1]>>, keys: ConfiguredKey[]) {
    const store = await database.store();
    await loadApiKeys(store, keys, clock.now());
    const server = await startAuthServer({ store, clock, issueKey: false, auth: { apiKeyCacheMs: 10_000 } });
    servers.push(server);
    return server;
  }

  it("a key removed from the configuration stops working at the next start", async () => {
    const database = await makeDatabase();
    closeDatabase = database.close;
    const kept = configured("acme", ["sessions"]);
    const removed = configured("globex", ["sessions"]);
    const before = await startReplica(database, [kept.entry, removed.entry]);
    expect(await authenticates(before, removed.secret)).toBe(true);
    await before.close();

    const after = await startReplica(database, [kept.entry]);
    expect(await authenticates(after, removed.secret)).toBe(false);
    expect(await authenticates(after, kept.secret)).toBe(true);
  });

  it("a replica still running stops accepting it once its cache entry is older than the TTL", async () => {
    const database = await makeDatabase();
    closeDatabase = database.close;
    const kept = configured("acme", ["sessions"]);
    const removed = configured("globex", ["sessions"]);
    const running = await startReplica(database, [kept.entry, removed.entry]);
    expect(await authenticates(running, removed.secret)).toBe(true);

    await startReplica(database, [kept.entry]);
    clock.advance(10_000);
    expect(await authenticates(running, removed.secret)).toBe(false);
    expect(await authenticates(running, kept.secret)).toBe(true);
  });

  it("a key's scopes are the configured ones, also when they change", async () => {
    const database = await makeDatabase();
    closeDatabase = database.close;
    const key = configured("acme", ["sessions"]);
    const before = await startReplica(database, [key.entry]);
    expect(await auditTrail(before, key.secret)).toBe("PermissionDenied");
    await before.close();

    const after = await startReplica(database, [{ ...key.entry, scopes: ["sessions", "audit"] }]);
    expect(await auditTrail(after, key.secret)).toBe("NotFound");
  });

  it("no keys configured means no keys", async () => {
    const database = await makeDatabase();
    closeDatabase = database.close;
    const key = configured("acme", ["sessions"]);
    await (await startReplica(database, [key.entry])).close();
    const after = await startReplica(database, []);
    expect(await authenticates(after, key.secret)).toBe(false);
  });
});

describe("the embedded store with no keys configured", () => {
  it("still gets a development key, and only that one", async () => {
    const store = createMemoryStore();
    const clock = createManualClock(new Date("2026-03-02T09:00:00Z"));
    expect(await loadApiKeys(store, [], clock.now())).toBe(0);
    const dev = await ensureDevelopmentKey(store, clock.now());
    expect(dev?.key.tenantId).toBe("dev");
    const server = await startAuthServer({ store, clock, issueKey: false });
    try {
      expect(await authenticates(server, dev!.secret)).toBe(true);
      expect(await store.apiKeys.count()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
