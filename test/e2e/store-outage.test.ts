import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import { createLogger } from "../../src/logger.js";
import { createApp } from "../../src/server/app.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";
import { clientsFor } from "../support/clients.js";

/**
 * A database that does not answer is an outage, not a bug: the call ends UNAVAILABLE with
 * STORE_UNAVAILABLE and a RetryInfo delay, and a retry with the same request id learns whether
 * the write took effect.
 */
describe("a store that does not answer", () => {
  it("answers UNAVAILABLE / STORE_UNAVAILABLE with RetryInfo, and the retry with the same request id completes the call once", async () => {
    const fake = createFakeDatabase();
    const store = await startFakeReplica(fake);
    const { secret, key } = issueApiKey("acme", [...scopes], new Date());
    await store.apiKeys.insert(key);
    const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0 });
    const { port } = await app.server.listen(0, "127.0.0.1");
    const c = clientsFor("grpc-h2", `http://127.0.0.1:${port}`, secret);
    try {
      const first = await c.submissions.submit({ workflow: "kyc" });
      const requestId = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
      for (const when of ["before-commit", "after-commit"] as const) {
        fake.failWrites({ when, match: (op) => op.collection === "sessions" });
        const error = await c.submissions
          .submit({ sessionId: first.session!.id, workflow: "kyc", step: when, requestId: `${requestId.slice(0, -1)}${when === "before-commit" ? "1" : "2"}` })
          .then(() => undefined, (e: unknown) => ConnectError.from(e));
        expect(error?.code).toBe(Code.Unavailable);
        expect(error!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STORE_UNAVAILABLE");
        expect(error!.findDetails(RetryInfoSchema)[0]?.retryDelay).toBeDefined();
        expect(error!.message).not.toContain("27017");
        const retried = await c.submissions.submit({ sessionId: first.session!.id, workflow: "kyc", step: when, requestId: `${requestId.slice(0, -1)}${when === "before-commit" ? "1" : "2"}` });
        expect(retried.session!.submissions.filter((s) => s.step === when)).toHaveLength(1);
      }
    } finally {
      await app.shutdown(100);
      await store.close();
    }
  });
});
