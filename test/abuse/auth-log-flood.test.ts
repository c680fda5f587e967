import { afterEach, describe, expect, it } from "vitest";
import { getSessionAs, openSession, unknownKey } from "./auth-calls.js";
import { startAuthServer, type AuthServer } from "./auth-server.js";

/** Runs `count` calls, `width` at a time. */
async function flood(count: number, width: number, call: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await call(next++);
  }));
}

const failureLines = (s: AuthServer) => s.logs().filter((l) => l["msg"] === "authentication failed");
const summaries = (s: AuthServer) => s.logs().filter((l) => l["msg"] === "authentication failures not logged");

describe("a flood of failed authentication", () => {
  let server: AuthServer;
  afterEach(() => server.close());

  it("from one source logs its first few failures, then one summary after the minute, never a credential", async () => {
    server = await startAuthServer({ auth: { failureLogsPerSource: 5 } });
    const { sessionId, clientToken } = await openSession(server.url, server.key);
    const presented = (i: number) => (i % 2 ? unknownKey(i) : `${clientToken.slice(0, -4)}${String(i).padStart(4, "0")}`);
    await flood(1_000, 20, (i) => getSessionAs(server.url, { credential: presented(i) }, sessionId));

    expect(server.logs().length).toBeLessThan(20);
    expect(failureLines(server)).toHaveLength(5);
    expect(summaries(server)).toHaveLength(0);
    // The minute ends (the server's clock is a test's, so the next failure notices): one summary, and logging resumes.
    server.clock.advance(60_000);
    await getSessionAs(server.url, { credential: presented(1_000) }, sessionId);
    expect(summaries(server)).toEqual([expect.objectContaining({ suppressed: 995, sources: 1 })]);
    expect(failureLines(server)).toHaveLength(6);
    const text = server.logText();
    for (const i of [0, 1, 2, 3, 998, 999, 1_000]) expect(text).not.toContain(presented(i));
    expect(text).not.toContain(clientToken.slice(4, 40));
    expect(text).not.toContain("127.0.0.1");
  });

  it("from many sources is capped across them all", async () => {
    server = await startAuthServer({ auth: { trustedProxyHops: 1, failureLogsPerSource: 5, failureLogLines: 40 } });
    await flood(600, 20, (i) => getSessionAs(server.url, { credential: unknownKey(i), forwardedFor: `198.51.100.${i % 200}` }));
    expect(failureLines(server)).toHaveLength(40);
    server.clock.advance(60_000);
    await getSessionAs(server.url, { credential: unknownKey(1), forwardedFor: "198.51.100.1" });
    expect(summaries(server)).toEqual([expect.objectContaining({ suppressed: 560, sources: 200 })]);
    expect(failureLines(server)).toHaveLength(41);
  });

  it("leaves successful calls logged as before", async () => {
    server = await startAuthServer();
    expect(await getSessionAs(server.url, { credential: server.key })).toMatchObject({ code: "NotFound" });
    expect(server.logs().filter((l) => l["msg"] === "rpc")).toHaveLength(1);
  });
});
