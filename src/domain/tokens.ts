import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sha256Hex } from "./canonical-json.js";

/**
 * Link and client tokens, both derived from one server secret.
 *
 * A link token is HMAC(secret, tenant, session, link version): 256 unguessable bits, stored only
 * as its SHA-256, yet reproducible by the server, so an idempotent retry of CreateSession or
 * TransferSession returns the same link, and issuing a new link (a new version) retires the old.
 *
 * A client token is a signed, short-lived claim "this tenant's session, until then". Checking it
 * costs no store round trip; the session's own expiry is checked by every RPC anyway.
 */
export interface TokenService {
  linkToken(tenantId: string, sessionId: string, version: number): string;
  linkTokenHash(token: string): string;
  clientToken(claim: ClientClaim): string;
  /** The claim of a valid, unexpired client token, or undefined. */
  verifyClientToken(token: string, now: Date): ClientClaim | undefined;
}

export interface ClientClaim {
  tenantId: string;
  sessionId: string;
  expireTime: Date;
}

export const clientTokenPrefix = "sfc_";

export function createTokenService(secret: string | Buffer = randomBytes(32)): TokenService {
  const mac = (label: string, data: string) => createHmac("sha256", secret).update(`${label}\n${data}`).digest();
  return {
    linkToken: (tenantId, sessionId, version) => mac("link", `${tenantId}\n${sessionId}\n${version}`).toString("base64url"),
    linkTokenHash: (token) => sha256Hex(`link:${token}`),
    clientToken({ tenantId, sessionId, expireTime }) {
      const payload = Buffer.from(JSON.stringify({ t: tenantId, s: sessionId, e: expireTime.getTime() })).toString("base64url");
      return `${clientTokenPrefix}${payload}.${mac("client", payload).toString("base64url")}`;
    },
    verifyClientToken(token, now) {
      if (!token.startsWith(clientTokenPrefix)) return undefined;
      const [payload, signature] = token.slice(clientTokenPrefix.length).split(".");
      if (!payload || !signature) return undefined;
      const expected = mac("client", payload);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const claim = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { t: string; s: string; e: number };
        if (typeof claim.t !== "string" || typeof claim.s !== "string" || !(claim.e > now.getTime())) return undefined;
        return { tenantId: claim.t, sessionId: claim.s, expireTime: new Date(claim.e) };
      } catch {
        return undefined;
      }
    },
  };
}
