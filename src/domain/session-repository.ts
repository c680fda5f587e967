import type { BillableEvent, UsagePeriod, UsageRow } from "./billing.js";
import type { MetricsQuery, MetricsTallies } from "./metrics-report.js";
import type { DecisionValue, Session, SessionState } from "./session.js";

/**
 * How the session rules persist their aggregate (SPEC §8): a session is written atomically,
 * inserted once and then updated guarded by its version, and everything else hangs off it.
 * Every query takes the tenant id: there is no way to read across tenants.
 */
export interface SessionRepository {
  /**
   * Inserts a new aggregate (its billable event is part of it, so both exist or neither).
   * Throws DuplicateKeyError when the id, a request id in its audit trail, or the session it
   * replaces is already taken in the tenant: at most one session replaces an expired one.
   */
  insert(session: Session): Promise<void>;
  /**
   * Writes `session` over `previous`, the version it was derived from, unless another writer
   * got there first (then it returns false and writes nothing). Only what changed is written
   * (see sessionDelta); the events `session` holds beyond `previous` are the ones this write
   * publishes. Throws DuplicateKeyError when a request id it adds is used by another session.
   */
  update(session: Session, previous: Session): Promise<boolean>;
  /** The current aggregate, read from the store itself, or undefined when the tenant has no such session. */
  get(tenantId: string, id: string): Promise<Session | undefined>;
  /**
   * Like get, but may answer from a cache of aggregates this process wrote or read (`fresh`
   * says which). A write derived from a cached copy is still safe, because update checks the
   * version; a refusal derived from one is not, so callers re-check refusals on a fresh read.
   */
  getForUpdate(tenantId: string, id: string): Promise<{ session: Session | undefined; fresh: boolean }>;
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
  /**
   * The operational metrics' counts (domain/metrics.ts) over the sessions the query selects, in
   * total and per bucket, configuration version and market. A scan, so its work is bounded by the
   * range (at most maxMetricsRangeDays) and the tenant's sessions in it.
   */
  tallyMetrics(tenantId: string, query: MetricsQuery): Promise<MetricsTallies>;
  /** Sessions of any tenant that are not closed and expired at or before `now`; for the sweeper only. */
  findExpiredOpen(now: Date, limit: number): Promise<Session[]>;
}

export interface SessionQuery {
  limit: number;
  /** Only sessions with an id lower than this (the last id of the previous page). */
  beforeId?: string;
  workflow?: string;
  market?: string;
  states?: SessionState[];
  /** Only sessions whose current decision is one of these. */
  decisions?: DecisionValue[];
  createTimeStart?: Date;
  createTimeEnd?: Date;
  /**
   * Only what a summary shows is needed: the lists that grow with every call (submissions,
   * analyses, warning screens, checks, completed steps, risk reasons, the audit trail) may come
   * back empty, and the events may hold only the latest. A store may then skip reading them;
   * the sessions returned are for display, never for a write.
   */
  summary?: boolean;
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

/**
 * The database did not answer: unreachable, failing over, or its reply was lost. Whether a
 * write took effect is unknown; a retry with the same request id finds out and finishes it.
 * Stores throw it for outages only, never for a refusal the data explains.
 */
export class StoreUnavailableError extends Error {
  constructor(readonly operation: string) {
    super(`the store did not answer ${operation}`);
    this.name = "StoreUnavailableError";
  }
}

/** A unique constraint was violated; `key` says which one. */
export class DuplicateKeyError extends Error {
  constructor(readonly key: "id" | "requestId" | "replaces" | "apiKey") {
    super(`duplicate ${key}`);
    this.name = "DuplicateKeyError";
  }
}
