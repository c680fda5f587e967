import { findAuditByRequest } from "./audit.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import { DomainError } from "./errors.js";
import type { AuditRecord, Session } from "./session.js";
import type { Store } from "./store.js";

/**
 * Idempotency (SPEC §1): a request id names one request. A retry carrying it gets the first
 * call's result and changes nothing; the same id on a different request is refused.
 */

/** Who did something to a session and with which request; every change carries one. */
export interface RequestContext {
  tenantId: string;
  principal: string;
  procedure: string;
  requestId: string;
  /** Set when the caller chose the request id; only then can a later call replay it. */
  clientRequestId: boolean;
}

/** What one request did to a session, for its audit record. */
export interface AuditedRequest {
  requestId: string;
  fingerprint: string;
  procedure: string;
  principal: string;
  provided: Record<string, unknown>;
}

/** The request as a retry would repeat it: everything but who sent it and its request id. */
export function fingerprintOf(content: unknown): string {
  return sha256Hex(canonicalJson(content));
}

/** The earlier record of this request id, after checking it was the same request; throws IDEMPOTENCY_KEY_REUSED otherwise. */
export function replayOrRefuse(earlier: AuditRecord, request: Pick<AuditedRequest, "fingerprint" | "procedure">): AuditRecord {
  if (earlier.fingerprint !== request.fingerprint || earlier.procedure !== request.procedure) {
    throw new DomainError("IDEMPOTENCY_KEY_REUSED", "the request id was already used for a different request");
  }
  return earlier;
}

/** The record of `requestId` in this session, if the caller chose it and the session has it. */
export function earlierRecord(session: Session, ctx: Pick<RequestContext, "requestId" | "clientRequestId">): AuditRecord | undefined {
  return ctx.clientRequestId ? findAuditByRequest(session, ctx.requestId) : undefined;
}

/**
 * The session and audit record of an earlier call with this request id, if the tenant has one;
 * throws IDEMPOTENCY_KEY_REUSED when that call was a different request.
 */
export async function findEarlierRequest(
  store: Store,
  tenantId: string,
  requestId: string,
  request: Pick<AuditedRequest, "fingerprint" | "procedure">,
): Promise<{ owner: Session; record: AuditRecord } | undefined> {
  const owner = await store.sessions.findByRequestId(tenantId, requestId);
  const record = owner && findAuditByRequest(owner, requestId);
  if (!owner || !record) return undefined;
  return { owner, record: replayOrRefuse(record, request) };
}

/**
 * A request id derived from another, for the writes one request causes in other sessions
 * (a transfer's child, a child's sync into its parent): a retry of the request derives the
 * same id, so those writes replay too instead of happening twice.
 */
export function derivedRequestId(requestId: string, purpose: string): string {
  const h = sha256Hex(`${purpose}:${requestId}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
