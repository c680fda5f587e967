import * as crypto from "node:crypto";

/**
 * Deterministic JSON: object keys sorted, undefined dropped, dates as ISO strings.
 * Hashes over it are stable across processes and store round trips.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalize(v);
    }
    return out;
  }
  return value;
}

/**
 * crypto.hash (Node 20.12 and later) digests in one call without a Hash object, which costs
 * about a third less for the short texts hashed on every call (keys, fingerprints, audit records).
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/**
 * Object.keys(value).sort(), by insertion into the array Object.keys made when there are few:
 * the same order (keys are distinct, and < compares UTF-16 code units as sort does) without the
 * sort's own work array, for the handful of keys the objects hashed on every call have.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > 16) return keys.sort(); // insertion is quadratic
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

export function sha256Hex(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text).digest("hex");
}
