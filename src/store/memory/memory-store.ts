import type { ApiKey } from "../../domain/api-key.js";
import type { TenantConfig } from "../../domain/thresholds.js";
import { billableEventOf } from "../../domain/billing.js";
import { isClosed, type Session } from "../../domain/session.js";
import { DuplicateKeyError, type BillableEventQuery, type SessionQuery, type Store } from "../../domain/store.js";
import { createMemoryFeed } from "./feed.js";
import { frozenCopy } from "../freeze.js";
import { createIdOrder } from "./id-order.js";
import { createMemoryIdentityGraph } from "./identity-links.js";
import { nextTurn, scanDown, scanSlice, scanUp } from "./scan.js";
import { applyChange } from "./session-changes.js";
import { createUsageCounter } from "./usage-counter.js";
import { tallyMetrics } from "./metrics-tally.js";

export interface MemoryStoreOptions {
  /** The clock retention is measured by; the system clock when unset. */
  now?: () => Date;
  /** How long feed events are kept for resuming streams (7 days by default, as on MongoDB). */
  eventRetentionMs?: number;
  /** How long a session and its audit trail are kept after creation (5 years by default, as on MongoDB). */
  sessionRetentionMs?: number;
  /** How often retention is applied; MongoDB's TTL monitor runs every 60 s, and so does this by default. */
  purgeIntervalMs?: number;
}

export interface MemoryStore extends Store {
  /** Applies retention now (what the timer does every purgeIntervalMs); returns the sessions removed. */
  purge(): number;
}

/**
 * The embedded default store: everything in process memory, lost on restart.
 * Writes run to completion without awaiting, so every write is atomic. Reads that scan a
 * tenant (listings, usage) walk its ids in order and let other calls run between slices, so
 * one tenant's large reads do not hold the event loop (see scan.ts). Aggregates are
 * stored frozen and handed out as they are: reads copy nothing, a write copies only what it
 * changed, and a caller that tried to change stored state would get a TypeError.
 */
export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  // Sessions by tenant, then id: a tenant's reads never look at another tenant's sessions.
  const tenants = new Map<string, Map<string, Session>>();
  const order = createIdOrder();
  // tenant -> requestId -> id: nested rather than keyed by "tenant|requestId", so a write's check
  // and indexing of its request id build no key strings and hash the request id once.
  const byRequestId = new Map<string, Map<string, string>>();
  const byReplaces = new Map<string, string>(); // tenant|replaced id -> id
  const byLinkHash = new Map<string, { tenantId: string; id: string }>(); // link token hash -> session
  const apiKeys = new Map<string, ApiKey>(); // hash -> key
  const configs = new Map<string, TenantConfig[]>(); // tenant -> revisions, oldest first
  const now = opts.now ?? (() => new Date());
  const sessionRetentionMs = opts.sessionRetentionMs ?? 5 * 365.25 * 86_400_000;
  const feed = createMemoryFeed({ now, retentionMs: opts.eventRetentionMs ?? 7 * 86_400_000 });

  const k = (tenantId: string, id: string) => `${tenantId}|${id}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const stored = (tenantId: string, id: string) => tenants.get(tenantId)?.get(id);
  const put = (session: Session) => {
    let own = tenants.get(session.tenantId);
    if (!own) tenants.set(session.tenantId, (own = new Map()));
    if (!own.has(session.id)) order.add(session.tenantId, session.id);
    own.set(session.id, session);
  };

  /** Request ids among `records` that another session of the tenant already holds. */
  function checkRequestIds(session: Pick<Session, "tenantId" | "id">, records: Session["audit"]) {
    for (const record of records) {
      const owner = byRequestId.get(session.tenantId)?.get(record.requestId);
      if (owner !== undefined && owner !== session.id) throw new DuplicateKeyError("requestId");
    }
  }

  function index(session: Session, records: Session["audit"], previous?: Session) {
    if (previous?.linkTokenHash && previous.linkTokenHash !== session.linkTokenHash) byLinkHash.delete(previous.linkTokenHash);
    if (session.linkTokenHash) byLinkHash.set(session.linkTokenHash, { tenantId: session.tenantId, id: session.id });
    if (records.length > 0) {
      let own = byRequestId.get(session.tenantId);
      if (!own) byRequestId.set(session.tenantId, (own = new Map()));
      for (const record of records) own.set(record.requestId, session.id);
    }
    if (session.replaces) byReplaces.set(k(session.tenantId, session.replaces), session.id);
  }

  /** Forgets a session and every index entry that points at it, as a TTL deletion of its document would. */
  function forget(session: Session) {
    tenants.get(session.tenantId)?.delete(session.id);
    if (tenants.get(session.tenantId)?.size === 0) tenants.delete(session.tenantId);
    const own = byRequestId.get(session.tenantId);
    for (const record of session.audit) own?.delete(record.requestId);
    if (own?.size === 0) byRequestId.delete(session.tenantId);
    if (session.replaces) byReplaces.delete(k(session.tenantId, session.replaces));
    if (session.linkTokenHash) byLinkHash.delete(session.linkTokenHash);
  }

  /** MongoDB's TTL rules, applied to process memory: sessions past their retention, then old events. */
  function purge(): number {
    const horizon = now().getTime() - sessionRetentionMs;
    let removed = 0;
    for (const [tenantId, own] of [...tenants]) {
      const before = removed;
      for (const session of [...own.values()]) {
        if (session.createTime.getTime() > horizon) continue;
        forget(session);
        removed++;
      }
      if (removed > before) order.retain(tenantId, (id) => own.has(id));
    }
    feed.purge();
    return removed;
  }
  const purger = setInterval(purge, opts.purgeIntervalMs ?? 60_000);
  purger.unref();

  function matches(session: Session, q: SessionQuery): boolean {
    return (
      (q.beforeId === undefined || session.id < q.beforeId) &&
      (q.workflow === undefined || session.workflow === q.workflow) &&
      (q.market === undefined || session.market === q.market) &&
      (q.states === undefined || q.states.length === 0 || q.states.includes(session.state)) &&
      (q.decisions === undefined || q.decisions.length === 0 || q.decisions.includes(session.decision.decision)) &&
      (q.createTimeStart === undefined || session.createTime >= q.createTimeStart) &&
      (q.createTimeEnd === undefined || session.createTime < q.createTimeEnd)
    );
  }

  /** Whether a session bills in the query's window, for events and usage alike. */
  function billableIn(s: Session, q: Omit<BillableEventQuery, "limit" | "afterId">): boolean {
    return s.billable && s.createTime >= q.start && s.createTime < q.end && (q.workflow === undefined || s.workflow === q.workflow);
  }
  const idsOf = (tenantId: string) => () => order.of(tenantId);

  return {
    sessions: {
      async insert(session) {
        if (stored(session.tenantId, session.id)) throw new DuplicateKeyError("id");
        if (session.replaces && byReplaces.has(k(session.tenantId, session.replaces))) {
          throw new DuplicateKeyError("replaces");
        }
        checkRequestIds(session, session.audit);
        const frozen = frozenCopy(session);
        put(frozen);
        index(frozen, frozen.audit);
        feed.publish(frozen, frozen.events);
      },
      async update(session, previous) {
        const current = stored(session.tenantId, session.id);
        if (!current || current.version !== previous.version) return false;
        const { stored: next, appended } = applyChange(current, previous, session);
        checkRequestIds(next, appended.audit ?? []);
        put(next);
        index(next, appended.audit ?? [], current);
        feed.publish(next, appended.events ?? []);
        return true;
      },
      async get(tenantId, id) {
        return stored(tenantId, id);
      },
      async getForUpdate(tenantId, id) {
        return { session: stored(tenantId, id), fresh: true };
      },
      async findByRequestId(tenantId, requestId) {
        const id = byRequestId.get(tenantId)?.get(requestId);
        return id === undefined ? undefined : stored(tenantId, id);
      },
      async findByLinkTokenHash(hash) {
        const owner = byLinkHash.get(hash);
        return owner && stored(owner.tenantId, owner.id);
      },
      async findReplacement(tenantId, replacedId) {
        const id = byReplaces.get(k(tenantId, replacedId));
        return id === undefined ? undefined : stored(tenantId, id);
      },
      async list(tenantId, query) {
        const page: Session[] = [];
        await scanDown(idsOf(tenantId), query.beforeId, (id) => {
          const s = stored(tenantId, id);
          if (s && matches(s, query)) page.push(s);
          return page.length < query.limit;
        });
        return page;
      },
      async listBillableEvents(tenantId, q) {
        const page: Session[] = [];
        await scanUp(idsOf(tenantId), q.afterId, (id) => {
          const s = stored(tenantId, id);
          if (s && billableIn(s, q)) page.push(s);
          return page.length < q.limit;
        });
        return page.map(billableEventOf);
      },
      async countUsage(tenantId, q) {
        const usage = createUsageCounter(q.period);
        await scanUp(idsOf(tenantId), undefined, (id) => {
          const s = stored(tenantId, id);
          if (s && billableIn(s, q)) usage.add(s.createTime, s.workflow);
          return true;
        });
        return usage.rows();
      },
      tallyMetrics: (tenantId, q) => tallyMetrics(tenants.get(tenantId)?.values() ?? [], q),
      async findExpiredOpen(now, limit) {
        const found: Session[] = [];
        let visited = 0;
        // Map iterators survive changes made while the scan waits its turn.
        for (const own of tenants.values()) {
          for (const s of own.values()) {
            if (!isClosed(s) && s.expireTime <= now) found.push(s);
            if (found.length >= limit) return found;
            if (++visited % scanSlice === 0) await nextTurn();
          }
        }
        return found;
      },
    },
    identity: createMemoryIdentityGraph(),
    configurations: {
      async current(tenantId) {
        const revisions = configs.get(tenantId);
        return revisions?.length ? copy(revisions.at(-1)!) : undefined;
      },
      async append(config) {
        const revisions = configs.get(config.tenantId) ?? [];
        if (revisions.some((r) => r.version === config.version)) return false;
        configs.set(config.tenantId, [...revisions, copy(config)].sort((a, b) => a.version - b.version));
        return true;
      },
      async list(tenantId, beforeVersion, limit) {
        return (configs.get(tenantId) ?? [])
          .filter((r) => beforeVersion === undefined || r.version < beforeVersion)
          .reverse()
          .slice(0, limit)
          .map(copy);
      },
    },
    events: feed,
    apiKeys: {
      async findByHash(hash) {
        const key = apiKeys.get(hash);
        return key && copy(key);
      },
      async insert(key) {
        if (apiKeys.has(key.hash)) throw new DuplicateKeyError("apiKey");
        apiKeys.set(key.hash, copy(key));
      },
      async count() {
        return apiKeys.size;
      },
      async replaceAll(keys) {
        const wanted = new Set(keys.map((key) => key.hash));
        const removed = [...apiKeys.keys()].filter((hash) => !wanted.has(hash));
        for (const hash of removed) apiKeys.delete(hash);
        for (const key of keys) apiKeys.set(key.hash, copy({ ...key, createTime: apiKeys.get(key.hash)?.createTime ?? key.createTime }));
        return { removed: removed.length };
      },
    },
    purge,
    async ping() {},
    async close() {
      clearInterval(purger);
    },
  };
}
