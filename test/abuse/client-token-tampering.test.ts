import { Code, ConnectError, createClient } from "@connectrpc/connect";
import fc from "fast-check";
import { CompactSign, SignJWT, type JWTHeaderParameters } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { deriveTokenKey } from "../../src/domain/token-keys.js";
import { createTokenService } from "../../src/domain/tokens.js";
import { transportFor } from "../support/clients.js";
import { startAuthServer, type AuthServer } from "./auth-server.js";
import { mutate, tokenMutation } from "./token-mutations.js";

const secret = "tampering-test-secret-0123456789abcdef";
const now = new Date("2026-03-02T09:00:00Z");
const claim = { tenantId: "acme", sessionId: "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", expireTime: new Date("2026-03-02T09:15:00Z") };

describe("a client token", () => {
  const tokens = createTokenService(secret);

  it("verifies unchanged, with its claims", async () => {
    const token = await tokens.clientToken(claim);
    expect(await tokens.verifyClientToken(token, now)).toEqual(claim);
  });

  it("never verifies once changed: padding, whitespace, extra segments, non-canonical base64url, edits", async () => {
    const token = await tokens.clientToken(claim);
    await fc.assert(
      fc.asyncProperty(tokenMutation, async (mutation) => {
        const mutated = mutate(token, mutation);
        fc.pre(mutated !== undefined);
        expect(await tokens.verifyClientToken(mutated!, now), JSON.stringify(mutated)).toBeUndefined();
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("a changed client token over the wire", () => {
  let server: AuthServer;
  let token: string;
  let sessionId: string;
  const asClient = (t: string) => createClient(SessionService, transportFor("connect-json-h1", server.url, t));
  const codeOf = (t: string) => asClient(t).getSession({ sessionId }).then(() => "ok", (e: unknown) => Code[ConnectError.from(e).code]);

  beforeAll(async () => {
    server = await startAuthServer({ tokenSecret: secret });
    const created = await createClient(SessionService, transportFor("grpc-h2", server.url, server.key)).createSession({ workflow: "kyc", reference: "r" });
    const auth = createClient(ClientAuthService, transportFor("connect-json-h1", server.url));
    token = (await auth.exchangeLinkToken({ linkToken: created.url.split("/s/")[1]! })).clientToken;
    sessionId = created.session!.id;
  });
  afterAll(() => server.close());

  it("is refused as UNAUTHENTICATED, while the original still works", async () => {
    expect(await codeOf(token)).toBe("ok");
    const parts = token.split(".");
    const changed = [`${token}=`, `${token}==`, `${token}.`, `${token}.${parts[1]}`, parts.slice(0, -1).join("."), token.replace(".", "..")];
    for (const t of changed) expect(await codeOf(t), t).toBe("Unauthenticated");
    expect(await codeOf(token)).toBe("ok");
  });
});

describe("a forged client token", () => {
  const tokens = createTokenService(secret);
  const key = deriveTokenKey(secret);
  const stranger = deriveTokenKey("a-secret-this-server-never-had-0123456789");
  const exp = Math.floor(claim.expireTime.getTime() / 1000);
  const header = { alg: "HS256", kid: key.kid, typ: "sfc+jwt" };
  const claims = { tid: claim.tenantId, sub: claim.sessionId, exp };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = async (h: Record<string, unknown>, payload: Record<string, unknown>, k = key.clientKey) =>
    `sfc_${await new SignJWT(payload).setProtectedHeader(h as JWTHeaderParameters).sign(k)}`;
  const unsigned = (h: unknown, payload: unknown) => `sfc_${b64(h)}.${b64(payload)}.`;

  it("verifies when made exactly as the server makes it (the forgeries below differ in one thing)", async () => {
    expect(await tokens.verifyClientToken(await signed(header, claims), now)).toEqual(claim);
  });

  it.each([
    ["another HMAC algorithm", () => signed({ ...header, alg: "HS512" }, claims)],
    ["alg none, no signature", async () => unsigned({ ...header, alg: "none" }, claims)],
    ["alg none, a real signature kept", async () => (await signed(header, claims)).replace(/^sfc_[^.]+/, `sfc_${b64({ ...header, alg: "none" })}`)],
    ["an unknown key id and key", () => signed({ ...header, kid: stranger.kid }, claims, stranger.clientKey)],
    ["a known key id, another key", () => signed(header, claims, stranger.clientKey)],
    ["no key id", () => signed({ alg: "HS256", typ: "sfc+jwt" }, claims)],
    ["typ JWT", () => signed({ ...header, typ: "JWT" }, claims)],
    ["no typ", () => signed({ alg: "HS256", kid: key.kid }, claims)],
    ["an extra header parameter", () => signed({ ...header, jku: "https://attacker.example/keys" }, claims)],
    ["no tenant", () => signed(header, { sub: claims.sub, exp })],
    ["a tenant that is not a string", () => signed(header, { ...claims, tid: ["acme"] })],
    ["no session", () => signed(header, { tid: claims.tid, exp })],
    ["no expiry", () => signed(header, { tid: claims.tid, sub: claims.sub })],
    ["an expiry that is not a number", () => signed(header, { ...claims, exp: String(exp) })],
    ["a fractional expiry", () => signed(header, { ...claims, exp: exp + 0.5 })],
    ["an extra claim", () => signed(header, { ...claims, scope: "sessions" })],
    ["an expiry of now", () => signed(header, { ...claims, exp: now.getTime() / 1000 })],
    ["an expiry in the past", () => signed(header, { ...claims, exp: now.getTime() / 1000 - 1 })],
    ["a payload that is not an object", async () => `sfc_${await new CompactSign(Buffer.from(JSON.stringify([claims]))).setProtectedHeader(header).sign(key.clientKey)}`],
  ])("is refused: %s", async (_name, make) => {
    expect(await tokens.verifyClientToken(await make(), now)).toBeUndefined();
  });
});
