import type { ApiKey } from "../domain/api-key.js";
import type { BillableEvent, UsagePeriod, UsageRow } from "../domain/billing.js";
import type { IdentityLink } from "../domain/identity-graph.js";
import type { Session, SessionEvent, SessionState } from "../domain/session.js";
import type { TenantConfig } from "../domain/thresholds.js";

/**
 * The store interface, shaped for SPEC §8: a session is one aggregate written atomically
 * (insert, or replace guarded by its version), and everything else hangs off it.
 * Every session query takes the tenant id: there is no way to read across tenants.
 */
export interface Store {
  readonly sessions: SessionRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly events: EventFeed;
  readonly identity: IdentityGraph;
  readonly configurations: ConfigurationRepository;
  /** Resolves when the backing storage answers; used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionRepository {
  /**
   * Inserts a new aggregate (its billable event is part of it, so both exist or neither).
   * Throws DuplicateKeyError when the id, a request id in its audit trail, or the session it
   * replaces is already taken in the tenant: at most one session replaces an expired one.
   */
  insert(session: Session): Promise<void>;
  /**
   * Replaces the aggregate `previous` (the version it was read at) with `session`. Returns false,
   * writing nothing, when another writer got there first. The events `session` holds beyond
   * `previous` are the ones this write publishes. Throws DuplicateKeyError when a request id the
   * new version adds is already used by another session of the tenant.
   */
  update(session: Session, previous: Pick<Session, "version" | "events">): Promise<boolean>;
  /** The current aggregate, or undefined when the tenant has no session with that id. */
  get(tenantId: string, id: string): Promise<Session | undefined>;
  /**
   * Like get, but may answer from a cache of aggregates this process wrote or read: callers
   * must write through update, whose version check catches a stale copy.
   */
  getForUpdate(tenantId: string, id: string): Promise<Session | undefined>;
  /** The session whose audit trail holds the request id. */
  findByRequestId(tenantId: string, requestId: string): Promise<Session | undefined>;
  /** The session whose current link token has this hash, any tenant: the link is the credential. */
  findByLinkTokenHash(hash: string): Promise<Session | undefined>;
  /** The session that replaced the given expired session. */
  findReplacement(tenantId: string, replacedId: string): Promise<Session | undefined>;
  /** Sessions newest first (by id, which is time-ordered), after the given id when paging. */
  list(tenantId: string, query: SessionQuery): Promise<Session[]>;
  /** Billable events oldest first, after the given id when paging. */
  listBillableEvents(tenantId: string, query: BillableEventQuery): Promise<BillableEvent[]>;
  /** Billable events counted per period and workflow, ordered by period then workflow. */
  countUsage(tenantId: string, query: UsageQuery): Promise<UsageRow[]>;
  /** Sessions of any tenant that are not closed and expired at or before `now`; for the sweeper only. */
  findExpiredOpen(now: Date, limit: number): Promise<Session[]>;
}

/** A session's lifecycle event as the tenant-wide feed carries it. */
export interface FeedEvent {
  tenantId: string;
  sessionId: string;
  workflow: string;
  /** Position in the tenant's feed. Cursors of one tenant compare as strings in feed order. */
  cursor: string;
  event: SessionEvent;
}

/**
 * The tenant-wide event feed. A store appends a session's new events to it as part of the same
 * write that changes the session, so an event is in the feed exactly when its change is stored.
 */
export interface EventFeed {
  /** The tenant's events after `afterCursor` (from the start when undefined), oldest first. */
  read(tenantId: string, afterCursor: string | undefined, limit: number): Promise<FeedEvent[]>;
  /** The cursor of the tenant's newest event, if any: where "from now" begins. */
  head(tenantId: string): Promise<string | undefined>;
  /** Whether a client-supplied cursor has this store's form. */
  isCursor(value: string): boolean;
  /** Calls `listener` with events appended from now on, all tenants, in feed order; returns unsubscribe. */
  subscribe(listener: (events: readonly FeedEvent[]) => void): () => void;
}

export interface SessionQuery {
  limit: number;
  /** Only sessions with an id lower than this (the last id of the previous page). */
  beforeId?: string;
  workflow?: string;
  market?: string;
  states?: SessionState[];
  createTimeStart?: Date;
  createTimeEnd?: Date;
}

export interface BillableEventQuery {
  start: Date;
  end: Date;
  workflow?: string;
  limit: number;
  /** Only events with an id higher than this (the last id of the previous page). */
  afterId?: string;
}

export interface UsageQuery {
  start: Date;
  end: Date;
  period: UsagePeriod;
  workflow?: string;
}

/** What authenticated sessions established (SPEC §3); written only by authentication and reviews. */
export interface IdentityGraph {
  /** Adds or replaces the link of one authenticated session. */
  upsert(link: IdentityLink): Promise<void>;
  /** The tenant's links sharing any of the keys, newest first. */
  findByKeys(tenantId: string, keys: readonly string[], limit: number): Promise<IdentityLink[]>;
}

/** Versioned configuration: every version is an immutable revision; the newest is current. */
export interface ConfigurationRepository {
  /** The newest revision, or undefined for a tenant still on the built-in defaults. */
  current(tenantId: string): Promise<TenantConfig | undefined>;
  /** Appends a revision; false, writing nothing, when that version exists already. */
  append(config: TenantConfig): Promise<boolean>;
  /** Revisions newest first, below `beforeVersion` when paging. */
  list(tenantId: string, beforeVersion: number | undefined, limit: number): Promise<TenantConfig[]>;
}

export interface ApiKeyRepository {
  findByHash(hash: string): Promise<ApiKey | undefined>;
  insert(key: ApiKey): Promise<void>;
  count(): Promise<number>;
}

/** A unique constraint was violated; `key` says which one. */
export class DuplicateKeyError extends Error {
  constructor(readonly key: "id" | "requestId" | "replaces" | "apiKey") {
    super(`duplicate ${key}`);
    this.name = "DuplicateKeyError";
  }
}
