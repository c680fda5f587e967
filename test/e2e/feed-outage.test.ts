import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import { createLogger } from "../../src/logger.js";
import { createApp } from "../../src/server/app.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";
import { clientsFor, transportFor } from "../support/clients.js";

/**
 * SPEC §8: a replica whose event feed is down reports not-ready, and the streams it can no
 * longer guarantee complete end with UNAVAILABLE and the cursor to resume from, on any replica.
 */
describe("an event feed outage", () => {
  it("ends streams with FEED_UNAVAILABLE and a resume cursor, turns /readyz unready, and loses nothing on resume", async () => {
    const fake = createFakeDatabase();
    const store = await startFakeReplica(fake, { retryMs: 400 });
    const { secret, key } = issueApiKey("acme", [...scopes], new Date());
    await store.apiKeys.insert(key);
    const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, heartbeatMs: 60_000 });
    const { port } = await app.server.listen(0, "127.0.0.1");
    const baseUrl = `http://127.0.0.1:${port}`;
    const c = clientsFor("grpc-h2", baseUrl, secret);
    const events = createClient(EventService, transportFor("grpc-h2", baseUrl, secret));
    const ready = async () => (await fetch(`${baseUrl}/readyz`)).status;
    try {
      const seen: string[] = [];
      const stream = (async () => {
        for await (const res of events.watchEvents({ fromBeginning: true })) {
          if (res.kind.case === "event") seen.push(res.kind.value.cursor);
          if (seen.length === 1) fake.failChangeStreams();
        }
      })();
      const first = await c.submissions.submit({ workflow: "kyc" });
      const error = await stream.then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(error?.code).toBe(Code.Unavailable);
      const info = error!.findDetails(ErrorInfoSchema)[0];
      expect(info?.reason).toBe("FEED_UNAVAILABLE");
      expect(seen.length).toBeGreaterThan(0);
      expect(info?.metadata["resume_cursor"]).toBe(seen.at(-1));
      expect(await ready()).toBe(503);
      // Written while the feed is down; the resumed stream must deliver it, and nothing twice.
      await c.submissions.submit({ sessionId: first.session!.id, workflow: "kyc" });
      await expect.poll(ready, { timeout: 5000 }).toBe(200);
      const total = Number((await c.sessions.getSession({ sessionId: first.session!.id })).session!.lastEventSequence);
      const resumed: string[] = [];
      for await (const res of events.watchEvents({ afterCursor: info!.metadata["resume_cursor"]! })) {
        if (res.kind.case === "event") resumed.push(`${res.kind.value.sequence}`);
        if (seen.length + resumed.length === total) break;
      }
      // Before and after the outage together: every event of the session, once, in order.
      const delivered = [...seen.map((_, i) => `${i + 1}`), ...resumed];
      expect(delivered).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}`));
    } finally {
      await app.shutdown(100);
      await store.close();
    }
  });
});
