import { MongoServerError, type Collection, type Db, type Timestamp } from "mongodb";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import { billableEventOf, periodOf } from "../../domain/billing.js";
import { DomainError } from "../../domain/errors.js";
import type { Session } from "../../domain/session.js";
import { DuplicateKeyError, type Store } from "../../domain/store.js";
import { withOutages } from "./outages.js";
import { deepFreeze, frozenCopy } from "../freeze.js";
import {
  fromApiKeyDoc,
  fromConfigDoc,
  fromLinkDoc,
  fromSessionDoc,
  fromSummaryDoc,
  toApiKeyDoc,
  toConfigDoc,
  toLinkDoc,
  toSessionDoc,
  type ApiKeyDoc,
  type ConfigDoc,
  type EventDoc,
  type FeedStateDoc,
  type IdentityLinkDoc,
  type SessionDoc,
} from "./documents.js";
import { createMongoFeed, type MongoFeed } from "./feed.js";
import { indexDeclarations } from "./indexes.js";
import { metricsIndexName, metricsPipeline, talliesOf, type MetricsFacets } from "./metrics-pipeline.js";
import * as q from "./queries.js";
import { sessionUpdate } from "./session-update.js";

export interface MongoCollections {
  sessions: Collection<SessionDoc>;
  events: Collection<EventDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  identityLinks: Collection<IdentityLinkDoc>;
  configurations: Collection<ConfigDoc>;
  feedState: Collection<FeedStateDoc>;
}

export interface MongoStoreOptions {
  collections: MongoCollections;
  /** Answers readiness checks, e.g. a `ping` command. */
  ping: () => Promise<void>;
  /** The server's current cluster time (see MongoFeedOptions). */
  operationTime: () => Promise<Timestamp>;
  /** How long a session document and its audit trail are kept (SPEC §1: 5 years by default). */
  retentionMs?: number;
  /** How long feed events are kept (the `events` TTL index): 7 days by default. */
  eventRetentionSeconds?: number;
  /** First delay before the feed reopens a failed change stream (see MongoFeedOptions). */
  retryMs?: number;
  /** The clock a resume cursor's age is judged by; the system clock when unset. */
  now?: () => Date;
  /** Aggregates kept for getForUpdate, so a continuing write costs one round trip. */
  cacheSize?: number;
  close?: () => Promise<void>;
  logger?: Logger;
}

export interface MongoStore extends Store {
  readonly feed: MongoFeed;
}

const fiveYearsMs = 5 * 365.25 * 24 * 3600 * 1000;

/** MongoDB's codes for a document over 16 MiB: on insert, and for an update's result. */
const tooLargeCodes = new Set([10334, 17419, 17420]);

/**
 * A write error in the store's terms: which unique constraint a duplicate key hit, or a
 * document over the server's size limit, which the session limits keep out of reach; should
 * one get there regardless, the client hears the session is full rather than INTERNAL.
 */
function writeErrorOf(error: unknown): Error | undefined {
  if (error instanceof MongoServerError && tooLargeCodes.has(Number(error.code))) {
    return new DomainError("SESSION_FULL", "the session has reached the largest size it may have; start a new session", [], { limit: "document size" });
  }
  return duplicateOf(error);
}

/** The index a duplicate-key error came from, mapped to the store's unique constraints. */
function duplicateOf(error: unknown): DuplicateKeyError | undefined {
  if (!(error instanceof MongoServerError) || error.code !== 11000) return undefined;
  const pattern = Object.keys((error as { keyPattern?: Record<string, unknown> }).keyPattern ?? {});
  const message = String(error.message);
  if (pattern.includes("audit.requestId") || message.includes("tenant_request_id")) return new DuplicateKeyError("requestId");
  if (pattern.includes("replaces") || message.includes("tenant_replaces")) return new DuplicateKeyError("replaces");
  return new DuplicateKeyError("id");
}

/**
 * The production store. A session is one document written in one command: insertOne when it
 * is created, then updateOne guarded by its version, carrying only what changed ($set, $push).
 * No multi-document transactions.
 */
export function createMongoStore(opts: MongoStoreOptions): MongoStore {
  const { sessions, apiKeys, events, identityLinks, configurations, feedState } = opts.collections;
  const retentionMs = opts.retentionMs ?? fiveYearsMs;
  // Last-known aggregates, frozen and shared rather than copied: a stale entry costs a failed
  // version check on a write, and a refusal is re-checked on a fresh read (see write-loop.ts).
  const cache = new LRUCache<string, Session>({ max: opts.cacheSize ?? 10_000 });
  const remember = (s: Session) => void cache.set(`${s.tenantId}|${s.id}`, deepFreeze(s));
  const feed = createMongoFeed({
    sessions,
    events,
    feedState,
    operationTime: opts.operationTime,
    retentionSeconds: opts.eventRetentionSeconds ?? 7 * 86_400,
    ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });

  const read = async (filter: object) => {
    const doc = await sessions.findOne(filter);
    return doc ? fromSessionDoc(doc) : undefined;
  };


  const repositories: Pick<Store, "sessions" | "apiKeys" | "identity" | "configurations"> = {
    sessions: {
      async insert(session) {
        try {
          await sessions.insertOne(toSessionDoc(session, retentionMs));
        } catch (e) {
          throw writeErrorOf(e) ?? e;
        }
        // A copy: the caller built this session and may still change it (an update's result is
        // derived from a frozen version, so that one is frozen in place).
        remember(frozenCopy(session));
      },
      async update(session, previous) {
        let result;
        try {
          result = await sessions.updateOne(q.sessionAtVersion(session.tenantId, session.id, previous.version), sessionUpdate(previous, session));
        } catch (e) {
          cache.delete(`${session.tenantId}|${session.id}`);
          throw writeErrorOf(e) ?? e;
        }
        if (result.matchedCount !== 1) {
          cache.delete(`${session.tenantId}|${session.id}`);
          return false;
        }
        remember(session);
        return true;
      },
      async get(tenantId, id) {
        const session = await read(q.sessionById(tenantId, id));
        if (session) remember(session);
        return session;
      },
      async getForUpdate(tenantId, id) {
        const cached = cache.get(`${tenantId}|${id}`);
        if (cached) return { session: cached, fresh: false };
        const session = await read(q.sessionById(tenantId, id));
        if (session) remember(session);
        return { session, fresh: true };
      },
      findByRequestId: (tenantId, requestId) => read(q.sessionByRequestId(tenantId, requestId)),
      findReplacement: (tenantId, replacedId) => read(q.replacementOf(tenantId, replacedId)),
      findByLinkTokenHash: (hash) => read(q.sessionByLinkHash(hash)),
      async list(tenantId, query) {
        const { filter, sort, limit, projection } = q.sessionList(tenantId, query);
        if (!projection) return (await sessions.find(filter, { sort, limit }).toArray()).map(fromSessionDoc);
        return (await sessions.find(filter, { sort, limit, projection }).toArray()).map((d) => fromSummaryDoc(d as Partial<SessionDoc>));
      },
      async listBillableEvents(tenantId, query) {
        const { filter, sort, limit, projection } = q.billableEvents(tenantId, query);
        const docs = await sessions.find(filter, { sort, limit, projection }).toArray();
        return docs.map((d) => billableEventOf({ id: d._id, workflow: d.workflow, market: d.market, createTime: d.createTime }));
      },
      async countUsage(tenantId, query) {
        const rows = await sessions.aggregate<{ _id: { period: Date; workflow: string }; count: number }>(q.usagePipeline(tenantId, query)).toArray();
        return rows.map((r) => {
          const { start, end } = periodOf(new Date(r._id.period), query.period);
          return { periodStart: start, periodEnd: end, workflow: r._id.workflow, billableEvents: r.count };
        });
      },
      async tallyMetrics(tenantId, query) {
        const [facets] = await sessions.aggregate<MetricsFacets>(metricsPipeline(tenantId, query), { hint: metricsIndexName }).toArray();
        return talliesOf(facets);
      },
      async findExpiredOpen(now, limit) {
        return (await sessions.find(q.expiredOpen(now), { limit }).toArray()).map(fromSessionDoc);
      },
    },
    apiKeys: {
      async findByHash(hash) {
        const doc = await apiKeys.findOne(q.apiKeyByHash(hash));
        return doc ? fromApiKeyDoc(doc) : undefined;
      },
      async insert(key) {
        try {
          await apiKeys.insertOne(toApiKeyDoc(key));
        } catch (e) {
          if (duplicateOf(e)) throw new DuplicateKeyError("apiKey");
          throw e;
        }
      },
      count: () => apiKeys.countDocuments({}),
      async replaceAll(keys) {
        // Configured keys first, then the rest removed: a start cut short in between leaves extra
        // keys, never missing ones, and the next start finishes the job.
        for (const key of keys) {
          const { _id, createTime, ...fields } = toApiKeyDoc(key);
          await apiKeys.updateOne(q.apiKeyByHash(_id), { $set: fields, $setOnInsert: { createTime } }, { upsert: true });
        }
        const { deletedCount } = await apiKeys.deleteMany({ _id: { $nin: keys.map((key) => key.hash) } });
        return { removed: deletedCount };
      },
    },
    identity: {
      async upsert(link) {
        const doc = toLinkDoc(link);
        await identityLinks.replaceOne({ _id: { $eq: doc._id } }, doc, { upsert: true });
      },
      async findByKeys(tenantId, keys, limit) {
        if (keys.length === 0) return [];
        const docs = await identityLinks.find(q.linksByKeys(tenantId, keys), { sort: { time: -1, sessionId: 1 }, limit }).toArray();
        return docs.map(fromLinkDoc);
      },
    },
    configurations: {
      async current(tenantId) {
        const [doc] = await configurations.find(q.configRevisions(tenantId), { sort: { version: -1 }, limit: 1 }).toArray();
        return doc ? fromConfigDoc(doc) : undefined;
      },
      async append(config) {
        try {
          await configurations.insertOne(toConfigDoc(config));
          return true;
        } catch (e) {
          if (duplicateOf(e)) return false;
          throw e;
        }
      },
      async list(tenantId, beforeVersion, limit) {
        const docs = await configurations.find(q.configRevisions(tenantId, beforeVersion), { sort: { version: -1 }, limit }).toArray();
        return docs.map(fromConfigDoc);
      },
    },
  };
  return {
    feed,
    sessions: withOutages("sessions", repositories.sessions),
    apiKeys: withOutages("apiKeys", repositories.apiKeys),
    identity: withOutages("identity", repositories.identity),
    configurations: withOutages("configurations", repositories.configurations),
    events: feed,
    ping: opts.ping,
    async close() {
      await feed.stop();
      await opts.close?.();
    },
  };
}

/** Creates every declared index and waits for it; a failure names the index and stops start-up. */
export async function ensureIndexes(db: Db, eventRetentionSeconds: number): Promise<void> {
  for (const index of indexDeclarations({ eventRetentionSeconds })) {
    try {
      await db.collection(index.collection).createIndex(index.key, { ...index.options, name: index.name });
    } catch (e) {
      throw new Error(`creating index ${index.collection}.${index.name} failed: ${(e as Error).message}`);
    }
  }
}
