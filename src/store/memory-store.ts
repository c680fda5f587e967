import type { ApiKey } from "../domain/api-key.js";
import type { IdentityLink } from "../domain/identity-graph.js";
import type { TenantConfig } from "../domain/thresholds.js";
import { billableEventOf, countUsage } from "../domain/billing.js";
import { isClosed, type Session } from "../domain/session.js";
import { DuplicateKeyError, type BillableEventQuery, type FeedEvent, type SessionQuery, type Store } from "./store.js";

/**
 * The embedded default store: everything in process memory, lost on restart.
 * Each method runs to completion without awaiting, so every write is atomic, and aggregates
 * are copied in and out so no caller can change stored state behind the store's back.
 */
export function createMemoryStore(): Store {
  // Sessions by tenant, then id: a tenant's reads never look at another tenant's sessions.
  const tenants = new Map<string, Map<string, Session>>();
  const byRequestId = new Map<string, string>(); // tenant|requestId -> id
  const byReplaces = new Map<string, string>(); // tenant|replaced id -> id
  const byLinkHash = new Map<string, { tenantId: string; id: string }>(); // link token hash -> session
  const apiKeys = new Map<string, ApiKey>(); // hash -> key
  const feeds = new Map<string, FeedEvent[]>(); // tenant -> its events in order
  const listeners = new Set<(events: readonly FeedEvent[]) => void>();
  const links = new Map<string, IdentityLink>(); // tenant|session -> link
  const configs = new Map<string, TenantConfig[]>(); // tenant -> revisions, oldest first
  // Fixed width, so cursors compare as strings in feed order.
  const cursorOf = (n: number) => n.toString().padStart(16, "0");

  const k = (tenantId: string, id: string) => `${tenantId}|${id}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const tenantSessions = (tenantId: string) => tenants.get(tenantId) ?? new Map<string, Session>();
  const stored = (tenantId: string, id: string) => tenants.get(tenantId)?.get(id);
  const put = (session: Session) => {
    let own = tenants.get(session.tenantId);
    if (!own) tenants.set(session.tenantId, (own = new Map()));
    own.set(session.id, copy(session));
  };
  const read = (tenantId: string, id: string) => {
    const found = stored(tenantId, id);
    return found && copy(found);
  };

  /** Request ids the session adds that another session of the tenant already holds. */
  function checkRequestIds(session: Session) {
    for (const record of session.audit) {
      const owner = byRequestId.get(k(session.tenantId, record.requestId));
      if (owner !== undefined && owner !== session.id) throw new DuplicateKeyError("requestId");
    }
  }
  /** Appends the events this write adds (those past `known`) to the tenant's feed and tells listeners. */
  function publish(session: Session, known: number) {
    const added = session.events.slice(known);
    if (added.length === 0) return;
    let feed = feeds.get(session.tenantId);
    if (!feed) feeds.set(session.tenantId, (feed = []));
    const appended = added.map((event, i) => ({
      tenantId: session.tenantId,
      sessionId: session.id,
      workflow: session.workflow,
      cursor: cursorOf(feed!.length + 1 + i),
      event: copy(event),
    }));
    feed.push(...appended);
    for (const listener of listeners) listener(appended);
  }

  function index(session: Session, previous?: Session) {
    if (previous?.linkTokenHash && previous.linkTokenHash !== session.linkTokenHash) byLinkHash.delete(previous.linkTokenHash);
    if (session.linkTokenHash) byLinkHash.set(session.linkTokenHash, { tenantId: session.tenantId, id: session.id });
    for (const record of session.audit) byRequestId.set(k(session.tenantId, record.requestId), session.id);
    if (session.replaces) byReplaces.set(k(session.tenantId, session.replaces), session.id);
  }

  function matches(session: Session, q: SessionQuery): boolean {
    return (
      (q.beforeId === undefined || session.id < q.beforeId) &&
      (q.workflow === undefined || session.workflow === q.workflow) &&
      (q.market === undefined || session.market === q.market) &&
      (q.states === undefined || q.states.length === 0 || q.states.includes(session.state)) &&
      (q.createTimeStart === undefined || session.createTime >= q.createTimeStart) &&
      (q.createTimeEnd === undefined || session.createTime < q.createTimeEnd)
    );
  }

  /** The tenant's billable sessions created in the query's window, for events and usage alike. */
  function billableIn(tenantId: string, q: Omit<BillableEventQuery, "limit" | "afterId">): Session[] {
    return [...tenantSessions(tenantId).values()].filter(
      (s) => s.billable && s.createTime >= q.start && s.createTime < q.end && (q.workflow === undefined || s.workflow === q.workflow),
    );
  }

  return {
    sessions: {
      async insert(session) {
        if (stored(session.tenantId, session.id)) throw new DuplicateKeyError("id");
        if (session.replaces && byReplaces.has(k(session.tenantId, session.replaces))) {
          throw new DuplicateKeyError("replaces");
        }
        checkRequestIds(session);
        put(session);
        index(session);
        publish(session, 0);
      },
      async update(session, previous) {
        const current = stored(session.tenantId, session.id);
        if (!current || current.version !== previous.version) return false;
        checkRequestIds(session);
        put(session);
        index(session, current);
        publish(session, current.events.length);
        return true;
      },
      async get(tenantId, id) {
        return read(tenantId, id);
      },
      async getForUpdate(tenantId, id) {
        return read(tenantId, id);
      },
      async findByRequestId(tenantId, requestId) {
        const id = byRequestId.get(k(tenantId, requestId));
        return id === undefined ? undefined : read(tenantId, id);
      },
      async findByLinkTokenHash(hash) {
        const owner = byLinkHash.get(hash);
        return owner && read(owner.tenantId, owner.id);
      },
      async findReplacement(tenantId, replacedId) {
        const id = byReplaces.get(k(tenantId, replacedId));
        return id === undefined ? undefined : read(tenantId, id);
      },
      async list(tenantId, query) {
        return [...tenantSessions(tenantId).values()]
          .filter((s) => matches(s, query))
          .sort((a, b) => (a.id < b.id ? 1 : -1))
          .slice(0, query.limit)
          .map(copy);
      },
      async listBillableEvents(tenantId, q) {
        return billableIn(tenantId, q)
          .filter((s) => q.afterId === undefined || s.id > q.afterId)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, q.limit)
          .map(billableEventOf);
      },
      async countUsage(tenantId, q) {
        return countUsage(billableIn(tenantId, q).map(billableEventOf), q.period);
      },
      async findExpiredOpen(now, limit) {
        return [...tenants.values()]
          .flatMap((own) => [...own.values()])
          .filter((s) => !isClosed(s) && s.expireTime <= now)
          .slice(0, limit)
          .map(copy);
      },
    },
    identity: {
      async upsert(link) {
        links.set(k(link.tenantId, link.sessionId), copy(link));
      },
      async findByKeys(tenantId, keys, limit) {
        const wanted = new Set(keys);
        return [...links.values()]
          .filter((l) => l.tenantId === tenantId && l.keys.some((key) => wanted.has(key)))
          .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.sessionId < b.sessionId ? -1 : 1))
          .slice(0, limit)
          .map(copy);
      },
    },
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
    events: {
      async read(tenantId, afterCursor, limit) {
        const feed = feeds.get(tenantId) ?? [];
        const start = afterCursor === undefined ? 0 : Number(afterCursor);
        return feed.slice(start, start + limit).map(copy);
      },
      async head(tenantId) {
        const length = feeds.get(tenantId)?.length ?? 0;
        return length === 0 ? undefined : cursorOf(length);
      },
      isCursor: (value) => /^\d{16}$/.test(value),
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
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
    },
    async ping() {},
    async close() {},
  };
}
