import type { ApiKey, Scope } from "../../domain/api-key.js";
import type { IdentityLink } from "../../domain/identity-graph.js";
import type { TenantConfig } from "../../domain/thresholds.js";
import { closedStates, type Session, type SessionEvent } from "../../domain/session.js";

/**
 * The stored shapes. A session is one document; `_id` is the session id, and a few derived
 * fields exist only to serve indexes. One mapping function each way, and nothing else
 * touches documents.
 */
export interface SessionDoc extends Omit<Session, "id" | "events"> {
  _id: string;
  /** True while the session is not closed: the sweep's partial index covers only these. */
  open: boolean;
  /**
   * How many events the document held before the latest write that added some. The change
   * stream reports appended events one by one (`events.<n>`); should a server ever report the
   * whole list instead, this says which of them that write added.
   */
  eventsBefore: number;
  /** When the document (and its audit trail) may be purged; a TTL index watches it. */
  retainUntil: Date;
  events: StoredEvent[];
}

/**
 * An event as the session document holds it: with its session's tenant and workflow, so a
 * change stream's update description alone (which carries only what a write appended, not the
 * document) is enough to put it in the tenant's feed.
 */
export interface StoredEvent extends SessionEvent {
  tenantId: string;
  workflow: string;
}

export const toStoredEvent = (s: Pick<Session, "tenantId" | "workflow">, event: SessionEvent): StoredEvent => ({
  ...clean(event),
  tenantId: s.tenantId,
  workflow: s.workflow,
});

export function fromStoredEvent(stored: StoredEvent): SessionEvent {
  const { tenantId: _t, workflow: _w, ...event } = stored;
  return event;
}

export interface ApiKeyDoc {
  /** The SHA-256 of the key: lookups by hash are lookups by _id. */
  _id: string;
  id: string;
  tenantId: string;
  scopes: Scope[];
  createTime: Date;
}

export interface EventDoc {
  /** The feed cursor: ordered like the events, unique. */
  _id: string;
  tenantId: string;
  sessionId: string;
  workflow: string;
  event: SessionEvent;
  /** The server's time of the write that made the event; a TTL index purges old events by it. */
  at: Date;
}

/** Drops undefined fields (BSON would store them as null) while keeping Dates. */
export function clean<T>(value: T): T {
  if (value instanceof Date || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(clean) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
  return out as T;
}

export function toSessionDoc(session: Session, retentionMs: number): SessionDoc {
  const { id, events, ...rest } = clean(session);
  return {
    _id: id,
    ...rest,
    events: events.map((e) => toStoredEvent(session, e)),
    open: !closedStates.has(session.state),
    eventsBefore: 0,
    retainUntil: new Date(session.createTime.getTime() + retentionMs),
  };
}

export function fromSessionDoc(doc: SessionDoc): Session {
  const { _id, open: _o, eventsBefore: _p, retainUntil: _r, events, ...rest } = doc;
  return { id: _id, ...rest, events: events.map(fromStoredEvent) };
}

/** A session read with the summary projection (queries.ts): the lists it left out are empty. */
export function fromSummaryDoc(doc: Partial<SessionDoc>): Session {
  const full = { submissions: [], analyses: [], warningScreens: [], checks: [], completedSteps: [], audit: [], events: [], ...doc } as SessionDoc;
  if (full.risk) full.risk = { ...full.risk, reasons: full.risk.reasons ?? [] };
  return fromSessionDoc(full);
}

/** Where the feed's materializers have got to: a resume token and the cursor it stands for. */
export interface FeedStateDoc {
  _id: "feed";
  cursor: string;
  token: unknown;
  time: Date;
}

export function toApiKeyDoc(key: ApiKey): ApiKeyDoc {
  return { _id: key.hash, id: key.id, tenantId: key.tenantId, scopes: [...key.scopes], createTime: key.createTime };
}

export function fromApiKeyDoc(doc: ApiKeyDoc): ApiKey {
  return { id: doc.id, tenantId: doc.tenantId, scopes: [...doc.scopes], hash: doc._id, createTime: doc.createTime };
}

/** One authenticated session's link in the identity graph; `_id` is tenant and session. */
export interface IdentityLinkDoc extends Omit<IdentityLink, "sessionId"> {
  _id: string;
  sessionId: string;
}

/** One configuration revision; `_id` is tenant and version, so a version exists once. */
export interface ConfigDoc extends TenantConfig {
  _id: string;
}

export const toLinkDoc = (link: IdentityLink): IdentityLinkDoc => ({ _id: `${link.tenantId}:${link.sessionId}`, ...clean(link) });
export function fromLinkDoc(doc: IdentityLinkDoc): IdentityLink {
  const { _id, ...link } = doc;
  return link;
}

export const toConfigDoc = (config: TenantConfig): ConfigDoc => ({ _id: `${config.tenantId}:${config.version}`, ...clean(config) });
export function fromConfigDoc(doc: ConfigDoc): TenantConfig {
  const { _id, ...config } = doc;
  return config;
}
