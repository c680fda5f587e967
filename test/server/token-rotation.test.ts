import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { createManualClock } from "../../src/domain/clock.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { startAuthServer, type AuthServer } from "../abuse/auth-server.js";
import { transportFor } from "../support/clients.js";

const oldSecret = "the-secret-before-rotation-0123456789";
const newSecret = "the-secret-after-rotation-9876543210";

describe("rotating the token secret", () => {
  const sessionsOf = (s: AuthServer, key = s.key) => createClient(SessionService, transportFor("grpc-h2", s.url, key));
  const exchange = (s: AuthServer, linkToken: string) => createClient(ClientAuthService, transportFor("connect-json-h1", s.url)).exchangeLinkToken({ linkToken });
  const codeOf = (s: AuthServer, token: string, sessionId: string) =>
    sessionsOf(s, token).getSession({ sessionId }).then(() => "ok", (e: unknown) => Code[ConnectError.from(e).code]);
  const kidOf = (token: string) => decodeProtectedHeader(token.slice("sfc_".length)).kid;

  it("keeps the previous secret's client tokens and links working while it is listed, and no longer", async () => {
    const store = createMemoryStore();
    const clock = createManualClock(new Date("2026-03-02T09:00:00Z"));
    const request = { workflow: "kyc", reference: "r", requestId: "0b9e1c1e-7d43-4b59-9a0d-0f0b7c1e2a33" };

    const before = await startAuthServer({ store, clock, tokenSecret: oldSecret });
    const created = await sessionsOf(before).createSession(request);
    const sessionId = created.session!.id;
    const linkToken = created.url.split("/s/")[1]!;
    const oldToken = (await exchange(before, linkToken)).clientToken;
    await before.close();

    const rotated = await startAuthServer({ store, clock, tokenSecret: newSecret, previousTokenSecrets: [oldSecret] });
    expect(await codeOf(rotated, oldToken, sessionId)).toBe("ok");
    // A retry after the rotation returns the link that was stored, not one that would not open.
    expect((await sessionsOf(rotated).createSession(request)).url).toBe(created.url);
    const newToken = (await exchange(rotated, linkToken)).clientToken;
    expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
    await rotated.close();

    const retired = await startAuthServer({ store, clock, tokenSecret: newSecret });
    expect(await codeOf(retired, oldToken, sessionId)).toBe("Unauthenticated");
    expect(await codeOf(retired, newToken, sessionId)).toBe("ok");
    // Links are checked by their stored hash, so a link made with a retired secret still opens.
    expect((await exchange(retired, linkToken)).sessionId).toBe(sessionId);
    await retired.close();
  });
});
