import { createHash } from "node:crypto";
import { DomainError } from "../domain/errors.js";

/**
 * Page tokens are opaque to clients: the position to continue from, bound to a hash of the
 * query that produced it, so a token cannot be replayed against a different filter.
 */
export function encodePageToken(position: string, query: unknown): string {
  return Buffer.from(JSON.stringify({ p: position, q: queryHash(query) })).toString("base64url");
}

/** Tokens this service issues are under 200 characters; a longer one is not worth decoding. */
const maxTokenChars = 512;

export function decodePageToken(token: string, query: unknown): string | undefined {
  if (token === "") return undefined;
  if (token.length > maxTokenChars) throw malformed();
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { p?: unknown; q?: unknown };
    if (typeof parsed.p === "string" && parsed.q === queryHash(query)) return parsed.p;
  } catch {
    // fall through to the refusal below
  }
  throw malformed();
}

const malformed = () => new DomainError("INVALID_PAGE_TOKEN", "the page token is malformed or belongs to a different query");

function queryHash(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 16);
}

export function clampPageSize(requested: number, fallback: number, max: number): number {
  if (requested <= 0) return fallback;
  return Math.min(requested, max);
}
