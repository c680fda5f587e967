import { randomBytes } from "node:crypto";
import { sha256Hex } from "./canonical-json.js";

/**
 * What a key may do. Each RPC names the one scope it needs; `console` is the operator console's
 * key, which reaches the reads and operator actions the console offers (src/service/scopes.ts)
 * without the rest of the `sessions`, `configuration` and `metrics` scopes.
 */
export const scopes = ["sessions", "audit", "billing", "configuration", "metrics", "console"] as const;
export type Scope = (typeof scopes)[number];

/** A tenant API key as stored: the secret itself is never kept, only its SHA-256. */
export interface ApiKey {
  id: string;
  tenantId: string;
  scopes: Scope[];
  hash: string;
  createTime: Date;
}

/** Who is calling, as established by authentication. */
export interface Principal {
  tenantId: string;
  /** Stable, non-secret name for audit records and logs, for example "key:k_3f9a01". */
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Set for a front end's client token: the one session it may touch. */
  sessionId?: string;
}

/**
 * Keys carry 256 random bits, so a plain SHA-256 is a safe verifier: there is nothing to
 * brute-force, and lookups by hash stay a single indexed read.
 */
export function hashApiKey(secret: string): string {
  return sha256Hex(secret);
}

export interface IssuedKey {
  secret: string;
  key: ApiKey;
}

export function issueApiKey(tenantId: string, keyScopes: Scope[], now: Date): IssuedKey {
  const id = `k_${randomBytes(6).toString("hex")}`;
  const secret = `sf_${id}_${randomBytes(32).toString("base64url")}`;
  return { secret, key: { id, tenantId, scopes: keyScopes, hash: hashApiKey(secret), createTime: now } };
}

/** Where keys are kept, by the hash of their secret. */
export interface ApiKeyRepository {
  findByHash(hash: string): Promise<ApiKey | undefined>;
  insert(key: ApiKey): Promise<void>;
  count(): Promise<number>;
  /**
   * Makes the stored keys exactly `keys`: each is added, or updated if its tenant, id or scopes
   * changed (keeping its first createTime), and every other key is removed. Returns how many were.
   */
  replaceAll(keys: readonly ApiKey[]): Promise<{ removed: number }>;
}
