import { createHmac, randomBytes } from "node:crypto";
import { sha256Hex } from "./canonical-json.js";
import { createClientTokens, type ClientClaim } from "./client-token.js";
import { deriveTokenKey, type TokenKey } from "./token-keys.js";

export { clientTokenPrefix, type ClientClaim } from "./client-token.js";

/**
 * Link and client tokens, both derived from the server's token secret.
 *
 * A link token is HMAC(secret, tenant, session, link version): 256 unguessable bits, stored only
 * as its SHA-256, yet reproducible by the server, so an idempotent retry of CreateSession or
 * TransferSession returns the same link, and issuing a new link (a new version) retires the old.
 *
 * A client token is a signed, short-lived claim "this tenant's session, until then" (see
 * client-token.ts). Checking it costs no store round trip; the session's own expiry is checked
 * by every RPC anyway.
 */
export interface TokenService {
  /**
   * The session's link token. Given the stored hash, it is the one that matches it, made with
   * whichever configured secret made it, so a retry after a rotation returns the link that works.
   */
  linkToken(tenantId: string, sessionId: string, version: number, storedHash?: string): string;
  linkTokenHash(token: string): string;
  clientToken(claim: ClientClaim): Promise<string>;
  /** The claim of a valid, unexpired client token, or undefined. */
  verifyClientToken(token: string, now: Date): Promise<ClientClaim | undefined>;
}

/** The secret that signs, and earlier ones that still verify while their tokens and links may be in use. */
export interface TokenSecrets {
  current: string | Buffer;
  previous?: readonly (string | Buffer)[];
}

export function createTokenService(secrets: TokenSecrets | string | Buffer = randomBytes(32)): TokenService {
  const { current, previous = [] } = typeof secrets === "string" || Buffer.isBuffer(secrets) ? { current: secrets } : secrets;
  const keys = [current, ...previous].map(deriveTokenKey);
  const client = createClientTokens(keys[0]!, keys);
  const linkHash = (token: string) => sha256Hex(`link:${token}`);
  const link = (secret: Buffer, tenantId: string, sessionId: string, version: number) =>
    createHmac("sha256", secret).update(`link\n${tenantId}\n${sessionId}\n${version}`).digest().toString("base64url");
  return {
    linkToken(tenantId, sessionId, version, storedHash) {
      const made = (key: TokenKey) => link(key.secret, tenantId, sessionId, version);
      const current = made(keys[0]!);
      if (storedHash === undefined || linkHash(current) === storedHash) return current;
      return keys.slice(1).map(made).find((token) => linkHash(token) === storedHash) ?? current;
    },
    linkTokenHash: linkHash,
    clientToken: (claim) => client.sign(claim),
    verifyClientToken: (token, now) => client.verify(token, now),
  };
}
