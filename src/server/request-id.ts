import { randomUUID } from "node:crypto";

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** The id a request is logged under: the client's `x-request-id` when well-formed, else a fresh one. */
export function requestIdOf(given: string | null): string {
  return given !== null && requestIdPattern.test(given) ? given : randomUUID();
}
