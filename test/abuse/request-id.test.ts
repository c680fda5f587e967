import { randomBytes, randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { issueApiKey } from "../../src/domain/api-key.js";
import { requestIdOf } from "../../src/server/request-id.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { useRawServer, wireProtocols } from "./raw-rpc.js";

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Secrets a client might paste into x-request-id by mistake, and ids that look like secrets. */
const secrets = {
  "an API key": issueApiKey("acme", ["sessions"], new Date()).secret,
  "a client token": `sfc_${Buffer.from(JSON.stringify({ t: "acme", s: randomUUID(), e: 1 })).toString("base64url").slice(0, 40)}.x`,
  "a JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
  "a link token": randomBytes(32).toString("base64url"),
  "a hex digest": randomBytes(16).toString("hex"),
  "a base64url string with separators": "Ab3_xY9-Qr7_Zt2-Kp5_Lm8-Wn4",
  "a nanoid": "V1StGXR8_Z5jdHi6B-myT",
  "a ULID": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
};

/** Client-chosen request ids are logged only when they cannot be a secret (issue 10). */
describe("x-request-id", () => {
  it.each([
    "0197f665-6c88-7512-bc33-a7605d487377",
    "0197F665-6C88-7512-BC33-A7605D487377",
    "req-123",
    "op-42",
    "we6.0",
    "checkout.2026-03-02.0042",
    "billing_export-7",
    "a",
    `${"ab12.".repeat(12)}abcd`,
  ])("keeps %s", (id) => {
    expect(requestIdOf(id)).toBe(id);
  });

  it.each([...Object.entries(secrets), ["too long", "a.".repeat(33)], ["spaces", "my request"], ["empty", ""], ["non-ASCII", "réq-1"], ["an email", "alice@example.com"]])(
    "replaces %s with a fresh UUID",
    (_what, id) => {
      const rid = requestIdOf(id);
      expect(rid).not.toBe(id);
      expect(rid).toMatch(uuidShape);
    },
  );

  it("replaces every random secret of 16 bytes or more, however it is encoded", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 48 }), fc.constantFrom("hex", "base64url", "base64"), (bytes, encoding) => {
        const id = Buffer.from(bytes).toString(encoding as BufferEncoding);
        expect(requestIdOf(id)).not.toBe(id);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  describe("over the wire", () => {
    const env = useRawServer();

    it.each(wireProtocols)("never logs a secret sent as x-request-id over %s, accepted or refused, and logs a kept id", async (protocol) => {
      const method = SessionService.method.getSession;
      const good = new Uint8Array(protocol.endsWith("json") ? Buffer.from(`{"sessionId":"${randomUUID()}"}`) : Buffer.from([0x0a, 36, ...Buffer.from(randomUUID())]));
      const body = protocol.startsWith("connect-") ? good : Uint8Array.from([0, 0, 0, 0, good.length, ...good]);
      const broken = protocol.startsWith("connect-") ? Uint8Array.from([0x0a, 0x05]) : Uint8Array.from([0, 0, 0, 0, 2, 0x0a, 0x05]);
      for (const secret of Object.values(secrets)) {
        const found = await env.raw.call({ protocol, method, body, key: env.server.keys.acme, headers: { "x-request-id": secret } });
        expect(found.code).toBe(Code.NotFound);
        const refused = await env.raw.call({ protocol, method, body: broken, key: env.server.keys.acme, headers: { "x-request-id": secret } });
        expect(refused.code).toBe(Code.InvalidArgument);
        expect(env.server.logs()).not.toContain(secret);
      }
      const kept = `trace-${protocol}.1`;
      await env.raw.call({ protocol, method, body, key: env.server.keys.acme, headers: { "x-request-id": kept } });
      expect(env.server.logs()).toContain(`"rid":"${kept}"`);
    });

    it("tells the client the id it was logged under, on success and on refusal", async () => {
      const call = (rid: string, sessionId: string) =>
        fetch(`${env.server.baseUrl}/sessionflow.v1.SessionService/GetSession`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${env.server.keys.acme}`, "x-request-id": rid },
          body: JSON.stringify({ sessionId }),
        });
      const refused = await call(secrets["an API key"], randomUUID());
      expect(refused.status).toBe(404);
      const given = refused.headers.get("x-request-id") ?? "";
      expect(given).toMatch(uuidShape);
      expect(env.server.logs()).toContain(`"rid":"${given}"`);
      expect((await call("req-77", "not-a-uuid")).headers.get("x-request-id")).toBe("req-77");
    });
  });
});
