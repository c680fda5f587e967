import { afterEach, describe, expect, it } from "vitest";
import { issueApiKey } from "../../src/domain/api-key.js";
import { createAuthBackoff } from "../../src/server/auth-backoff.js";
import { exchangeAs, getSessionAs, openSession, unknownKey } from "./auth-calls.js";
import { startAuthServer, type AuthServer } from "./auth-server.js";

/** Five failures at once, then one a minute every 10 s. */
const auth = { failureBurst: 5, failuresPerMinute: 6 };
const refused = { code: "Unauthenticated", reason: "UNAUTHENTICATED" };

describe("repeated failed authentication from one source", () => {
  let server: AuthServer;
  let lookups = 0;
  const start = async (extra = {}) => {
    server = await startAuthServer({ auth: { ...auth, ...extra } });
    const findByHash = server.store.apiKeys.findByHash.bind(server.store.apiKeys);
    server.store.apiKeys.findByHash = (hash) => (lookups++, findByHash(hash));
    lookups = 0;
  };
  afterEach(() => server.close());

  it("is backed off after the burst: refusals carry RetryInfo, and the store is no longer asked", async () => {
    await start();
    for (let i = 0; i < 4; i++) expect(await getSessionAs(server.url, { credential: unknownKey(i) })).toEqual(refused);
    // The fifth failure spends the budget: its refusal already says when to come back.
    expect(await getSessionAs(server.url, { credential: unknownKey(4) })).toEqual({ ...refused, retryMs: 10_000 });
    expect(lookups).toBe(5);
    for (const credential of [unknownKey(5), "sfc_not.a.token", undefined]) {
      expect(await getSessionAs(server.url, credential === undefined ? {} : { credential }, undefined, "grpc")).toEqual({ ...refused, retryMs: 10_000 });
    }
    expect(lookups).toBe(5);
    server.clock.advance(4_000);
    expect((await getSessionAs(server.url, { credential: unknownKey(6) })).retryMs).toBe(6_000);
  });

  it("counts unknown link tokens as failures: ExchangeLinkToken backs off too, without asking the store", async () => {
    await start();
    const findByLinkTokenHash = server.store.sessions.findByLinkTokenHash.bind(server.store.sessions);
    let linkLookups = 0;
    server.store.sessions.findByLinkTokenHash = (hash) => (linkLookups++, findByLinkTokenHash(hash));
    const guess = (i: number) => `guess${String(i).padStart(40, "0")}`;
    for (let i = 0; i < 4; i++) expect(await exchangeAs(server.url, guess(i))).toEqual({ code: "NotFound", reason: "LINK_INVALID" });
    expect(await exchangeAs(server.url, guess(4))).toEqual({ code: "NotFound", reason: "LINK_INVALID", retryMs: 10_000 });
    expect(linkLookups).toBe(5);
    // Backing off: refused before any lookup, with the delay; API-key failures count against the same source.
    expect(await exchangeAs(server.url, guess(5))).toEqual({ ...refused, retryMs: 10_000 });
    expect(await getSessionAs(server.url, { credential: unknownKey(0) })).toEqual({ ...refused, retryMs: 10_000 });
    expect(linkLookups).toBe(5);
    // Another address is not held back.
    await server.close();
    await start({ trustedProxyHops: 1 });
    for (let i = 0; i < 5; i++) await exchangeAs(server.url, guess(i), { forwardedFor: "203.0.113.7" });
    expect((await exchangeAs(server.url, guess(9), { forwardedFor: "203.0.113.7" })).code).toBe("Unauthenticated");
    expect(await exchangeAs(server.url, guess(9), { forwardedFor: "198.51.100.2" })).toEqual({ code: "NotFound", reason: "LINK_INVALID" });
  });

  it("counts failures over every protocol and both ports against the one source", async () => {
    await start();
    for (let i = 0; i < 2; i++) await getSessionAs(server.url, { credential: unknownKey(i) }, undefined, "connect");
    for (let i = 2; i < 4; i++) await getSessionAs(server.url, { credential: unknownKey(i) }, undefined, "grpc");
    expect((await getSessionAs(server.h2cUrl, { credential: unknownKey(4) }, undefined, "grpc")).retryMs).toBe(10_000);
    expect((await getSessionAs(server.url, { credential: unknownKey(5) }, undefined, "connect")).retryMs).toBe(10_000);
  });

  it("ends as the budget refills: one more attempt is checked every 10 s", async () => {
    await start();
    for (let i = 0; i < 5; i++) await getSessionAs(server.url, { credential: unknownKey(i) });
    server.clock.advance(10_000);
    expect(await getSessionAs(server.url, { credential: unknownKey(10) })).toEqual({ ...refused, retryMs: 10_000 });
    expect(lookups).toBe(6);
    expect(await getSessionAs(server.url, { credential: unknownKey(11) })).toEqual({ ...refused, retryMs: 10_000 });
    expect(lookups).toBe(6);
  });

  it("still lets in client tokens and API keys the server has accepted before", async () => {
    await start();
    const { sessionId, clientToken } = await openSession(server.url, server.key);
    for (let i = 0; i < 6; i++) await getSessionAs(server.url, { credential: unknownKey(i) });
    // Past the key cache: the known key is looked up again, not refused unchecked.
    server.clock.advance(60_000);
    expect(await getSessionAs(server.url, { credential: server.key }, sessionId)).toEqual({ code: "OK" });
    expect(await getSessionAs(server.url, { credential: clientToken }, sessionId)).toEqual({ code: "OK" });
    // A valid key this server has never seen is not told apart from a guess while the source backs off.
    const { secret, key } = issueApiKey("acme", ["sessions"], server.clock.now());
    await server.store.apiKeys.insert(key);
    for (let i = 0; i < 6; i++) await getSessionAs(server.url, { credential: unknownKey(100 + i) });
    expect((await getSessionAs(server.url, { credential: secret })).retryMs).toBeGreaterThan(0);
  });

  it("ignores X-Forwarded-For unless a proxy is trusted: a client cannot pick its own source", async () => {
    await start();
    for (let i = 0; i < 5; i++) await getSessionAs(server.url, { credential: unknownKey(i), forwardedFor: `198.51.100.${i}` });
    expect((await getSessionAs(server.url, { credential: unknownKey(9), forwardedFor: "198.51.100.9" })).retryMs).toBe(10_000);
  });

  it("counts each client apart behind a trusted proxy: IPv4 addresses, and IPv6 by /64", async () => {
    await start({ trustedProxyHops: 1 });
    const fail = (forwardedFor: string) => getSessionAs(server.url, { credential: unknownKey(1), forwardedFor });
    for (let i = 0; i < 5; i++) await fail("203.0.113.7, 198.51.100.1");
    expect((await fail("198.51.100.1")).retryMs).toBe(10_000);
    // The entry the trusted proxy appended counts, not what the client wrote before it.
    expect((await fail("198.51.100.1, 198.51.100.2")).retryMs).toBeUndefined();
    expect((await fail("::ffff:198.51.100.1")).retryMs).toBe(10_000);
    for (let i = 0; i < 5; i++) await fail(`2001:db8:0:1::${i + 1}`);
    expect((await fail("2001:db8:0:1:ffff:ffff:ffff:ffff")).retryMs).toBe(10_000);
    expect((await fail("2001:db8:0:2::1")).retryMs).toBeUndefined();
  });
});

describe("the back-off's memory", () => {
  it("is bounded: it tracks at most the configured number of sources, forgetting the least recent", () => {
    const now = 0;
    const backoff = createAuthBackoff({ failureBurst: 1, failuresPerMinute: 1, trackedSources: 100, now: () => now });
    for (let i = 0; i < 10_000; i++) backoff.fail(`source-${i}`);
    expect(backoff.size()).toBe(100);
    expect(backoff.retryAfterMs("source-9999")).toBeGreaterThan(0);
    expect(backoff.retryAfterMs("source-0")).toBe(0);
  });
});
