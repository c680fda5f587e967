import { createHmac } from "node:crypto";

/** One token secret and what is derived from it. */
export interface TokenKey {
  /**
   * Names the secret in a client token's header, so a verifier picks the right one after a
   * rotation. A MAC of a fixed label: it identifies the secret without revealing anything of it.
   */
  kid: string;
  /** The secret itself: link tokens are HMAC(secret, …) exactly as before, so issued links keep working. */
  secret: Buffer;
  /** The HS256 key of client tokens, derived so that the two kinds of token never share a key. */
  clientKey: Uint8Array<ArrayBuffer>;
}

export function deriveTokenKey(secret: string | Buffer): TokenKey {
  const raw = Buffer.from(secret);
  const derive = (label: string) => createHmac("sha256", raw).update(label).digest();
  return {
    kid: derive("sessionflow key id").subarray(0, 9).toString("base64url"),
    secret: raw,
    clientKey: new Uint8Array(derive("sessionflow client token")),
  };
}
