import { jwtVerify, SignJWT, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { isCanonicalCompactJws } from "./compact-jws.js";
import type { TokenKey } from "./token-keys.js";

/** What a front end's client token says: this tenant's session, until then. */
export interface ClientClaim {
  tenantId: string;
  sessionId: string;
  expireTime: Date;
}

/**
 * Marks a bearer credential as a client token rather than an API key (`sf_`), and lets secret
 * scanners recognise one. What follows it is a standard compact JWS.
 */
export const clientTokenPrefix = "sfc_";

/** Explicit typing (RFC 8725 §3.11): no other JWT signed with the same key passes for a client token. */
const typ = "sfc+jwt";
const headerNames = ["alg", "kid", "typ"];
const claimNames = ["exp", "sub", "tid"];

export interface ClientTokens {
  sign(claim: ClientClaim): Promise<string>;
  /** The claim of a valid, unexpired client token, or undefined. */
  verify(token: string, now: Date): Promise<ClientClaim | undefined>;
}

/**
 * Client tokens as JWS (HS256) via jose: `sfc_` + header.payload.signature, header
 * {alg, kid, typ}, claims {sub: session, tid: tenant, exp}. Signed with `current`; verified
 * with whichever of `keys` the header's kid names.
 */
export function createClientTokens(current: TokenKey, keys: readonly TokenKey[]): ClientTokens {
  // Imported once: jose would import raw key bytes again on every call, which was most of its cost.
  const importKey = (bytes: Uint8Array<ArrayBuffer>) => crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const byKid = new Map(keys.map((k) => [k.kid, importKey(k.clientKey)]));
  const signingKey = byKid.get(current.kid)!;
  const keyFor = (header: ProtectedHeaderParameters) => {
    const key = header.kid === undefined ? undefined : byKid.get(header.kid);
    if (!key) throw new Error("unknown key id");
    return key;
  };
  return {
    async sign({ tenantId, sessionId, expireTime }) {
      const jws = await new SignJWT({ tid: tenantId })
        .setProtectedHeader({ alg: "HS256", kid: current.kid, typ })
        .setSubject(sessionId)
        // Whole seconds, rounded down: the token never outlives the time it was issued for.
        .setExpirationTime(Math.floor(expireTime.getTime() / 1000))
        .sign(await signingKey);
      return clientTokenPrefix + jws;
    },
    async verify(token, now) {
      if (!token.startsWith(clientTokenPrefix)) return undefined;
      const jws = token.slice(clientTokenPrefix.length);
      if (!isCanonicalCompactJws(jws)) return undefined;
      try {
        // jose checks the signature, the algorithm (so never "none"), typ and exp against `now`.
        const { payload, protectedHeader } = await jwtVerify(jws, keyFor, { algorithms: ["HS256"], typ, currentDate: now, requiredClaims: claimNames });
        return exactly(protectedHeader, headerNames) && exactly(payload, claimNames) ? claimOf(payload) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** The service signs exactly these names; anything else was not made here. */
function exactly(object: object, names: readonly string[]): boolean {
  const own = Object.keys(object).sort();
  return own.length === names.length && own.every((name, i) => name === names[i]);
}

function claimOf({ sub, tid, exp }: JWTPayload): ClientClaim | undefined {
  if (typeof sub !== "string" || typeof tid !== "string" || !Number.isSafeInteger(exp)) return undefined;
  return { tenantId: tid, sessionId: sub, expireTime: new Date(exp! * 1000) };
}
