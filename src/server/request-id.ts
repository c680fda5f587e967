import { randomUUID } from "node:crypto";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idShape = /^[A-Za-z0-9._-]{1,64}$/;
/** Sessionflow API keys (sf_k_…) and client tokens (sfc_…), and JWS/JWT headers ({"…} in base64url). */
const secretPrefix = /^(?:sfc?_|eyJ)/;
/** Longer than a UUID's longest group: hex digests, random keys, ULIDs, nanoids. */
const longAlnumRun = /[A-Za-z0-9]{13,}/;
/** base64url text whose - and _ split it into short runs, recognised by mixing character classes. */
const base64urlRun = /[A-Za-z0-9_-]{20,}/g;

/**
 * The id a request is logged under. The client's `x-request-id` is kept when it is a UUID, or
 * up to 64 of [A-Za-z0-9._-] that reads like a name rather than a secret; anything else gets a
 * fresh UUID, and nothing of what the client sent is logged. A key pasted into the header by
 * mistake must not land in the logs, and a secret cannot be told from an id by its value, only
 * by its shape: random strings are long runs of letters and digits, names are short words
 * joined by separators. The response's `x-request-id` tells the client which id was used.
 */
export function requestIdOf(given: string | null): string {
  return given !== null && looksLikeAnId(given) ? given : randomUUID();
}

function looksLikeAnId(value: string): boolean {
  if (uuid.test(value)) return true;
  if (!idShape.test(value) || secretPrefix.test(value) || longAlnumRun.test(value)) return false;
  return !(value.match(base64urlRun) ?? []).some((run) => classes(run) >= 2);
}

/** How many of lower case, upper case and digits a string uses. */
function classes(run: string): number {
  return Number(/[a-z]/.test(run)) + Number(/[A-Z]/.test(run)) + Number(/[0-9]/.test(run));
}
