import type { ChangeStream, ChangeStreamDocument, Collection, Timestamp } from "mongodb";
import { Timestamp as BsonTimestamp } from "mongodb";
import type { Logger } from "pino";
import type { Session } from "../../domain/session.js";
import type { EventFeed, FeedEvent } from "../store.js";
import type { EventDoc, SessionDoc } from "./documents.js";
import { feedAfter } from "./queries.js";

/**
 * The tenant-wide event feed on MongoDB. Events live in the session documents (so a write is
 * one round trip); the feed is an append-only `events` collection derived from those writes.
 *
 * - On a replica set, a change stream on `sessions` is the source: each insert or replace
 *   carries its new events, and the change's cluster time (unique and ordered across the
 *   whole replica set) makes the cursor. Every replica runs the stream, so its watchers see
 *   every replica's events; each materializes them idempotently (the cursor is the _id).
 * - On a standalone server (no change streams), the writer appends its events itself and
 *   every replica polls the collection. Cursors then come from the writers' clocks, so order
 *   across replicas is as good as their clock sync; order within a session is always exact.
 */
export type FeedMode = "change-stream" | "poll";

export interface MongoFeed extends EventFeed {
  readonly mode: FeedMode;
  /** Called by the store after a successful write; appends the events itself in poll mode. */
  written(session: Session, publishedFrom: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface MongoFeedOptions {
  sessions: Collection<SessionDoc>;
  events: Collection<EventDoc>;
  mode: FeedMode | "auto";
  /** For "auto": change streams need a replica set (or sharded cluster). */
  isReplicaSet: () => Promise<boolean>;
  pollMs?: number;
  logger?: Logger;
}

const hex = (n: number, width: number) => Math.max(0, Math.floor(n)).toString(16).padStart(width, "0").slice(-width);
const cursorPattern = /^[0-9a-f]{24}$/;

/** Cursor from a change's cluster time: seconds, increment, index within the write. */
export const clusterCursor = (ts: Timestamp, index: number) => hex(ts.high, 8) + hex(ts.low, 8) + hex(index, 8);

export function createMongoFeed(opts: MongoFeedOptions): MongoFeed {
  const { sessions, events, pollMs = 200 } = opts;
  const listeners = new Set<(events: readonly FeedEvent[]) => void>();
  let mode: FeedMode = opts.mode === "poll" ? "poll" : "change-stream";
  let stream: ChangeStream<SessionDoc> | undefined;
  let poller: NodeJS.Timeout | undefined;
  let lastPolled: string | undefined;
  let lastMs = 0;
  let counter = 0;

  const notify = (batch: FeedEvent[]) => {
    if (batch.length === 0) return;
    for (const listener of listeners) listener(batch);
  };

  /** Appends events to the collection; a copy another replica appended first is fine. */
  async function materialize(batch: FeedEvent[]) {
    if (batch.length === 0) return;
    const docs: EventDoc[] = batch.map((f) => ({ _id: f.cursor, tenantId: f.tenantId, sessionId: f.sessionId, workflow: f.workflow, event: f.event, at: new Date() }));
    try {
      await events.insertMany(docs, { ordered: false });
    } catch (e) {
      const errors = (e as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (list.length === 0 || list.some((w) => w.code !== 11000)) throw e;
    }
  }

  /** The events a write added (those from `from` on), with their cursors. */
  function eventsOf(
    session: Pick<Session, "tenantId" | "workflow" | "events">,
    sessionId: string,
    from: number,
    cursor: (index: number) => string,
  ): FeedEvent[] {
    return session.events.slice(from).map((event, i) => ({
      tenantId: session.tenantId,
      sessionId,
      workflow: session.workflow,
      cursor: cursor(i),
      event,
    }));
  }

  async function onChange(change: ChangeStreamDocument<SessionDoc>) {
    if ((change.operationType !== "insert" && change.operationType !== "replace") || !change.fullDocument) return;
    const doc = change.fullDocument;
    const batch = eventsOf(doc, doc._id, doc.publishedFrom, (i) => clusterCursor(change.clusterTime!, i));
    await materialize(batch);
    notify(batch);
  }

  async function openStream() {
    // Resume where the feed ends, so writes made while this replica was down still get materialized.
    const newest = await events.find({}, { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray();
    const from = newest[0]?._id;
    const startAtOperationTime = from ? new BsonTimestamp({ t: parseInt(from.slice(0, 8), 16), i: parseInt(from.slice(8, 16), 16) }) : undefined;
    stream = sessions.watch<SessionDoc>([{ $match: { operationType: { $in: ["insert", "replace"] } } }], {
      ...(startAtOperationTime ? { startAtOperationTime } : {}),
    });
    let chain = Promise.resolve();
    stream.on("change", (change) => {
      chain = chain.then(() => onChange(change)).catch((err: unknown) => opts.logger?.error({ err }, "event feed: materializing failed"));
    });
    stream.on("error", (err) => opts.logger?.error({ err }, "event feed: change stream failed"));
  }

  async function poll() {
    const batch = await events.find(lastPolled ? { _id: { $gt: lastPolled } } : {}, { sort: { _id: 1 }, limit: 1000 }).toArray();
    if (batch.length === 0) return;
    lastPolled = batch.at(-1)!._id;
    notify(batch.map((d) => ({ tenantId: d.tenantId, sessionId: d.sessionId, workflow: d.workflow, cursor: d._id, event: d.event })));
  }

  return {
    get mode() {
      return mode;
    },
    async written(session, publishedFrom) {
      if (mode !== "poll") return;
      // Writer clock: milliseconds, a counter within the millisecond, the index in the write.
      const ms = Date.now();
      counter = ms === lastMs ? counter + 1 : 0;
      lastMs = ms;
      await materialize(eventsOf(session, session.id, publishedFrom, (i) => hex(ms, 12) + hex(counter, 4) + hex(i, 8)));
    },
    async read(tenantId, afterCursor, limit) {
      const docs = await events.find(feedAfter(tenantId, afterCursor), { sort: { _id: 1 }, limit }).toArray();
      return docs.map((d) => ({ tenantId: d.tenantId, sessionId: d.sessionId, workflow: d.workflow, cursor: d._id, event: d.event }));
    },
    async head(tenantId) {
      const [doc] = await events.find(feedAfter(tenantId, undefined), { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray();
      return doc?._id;
    },
    isCursor: (value) => cursorPattern.test(value),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      if (opts.mode === "auto") mode = (await opts.isReplicaSet()) ? "change-stream" : "poll";
      if (mode === "change-stream") {
        await openStream();
        return;
      }
      opts.logger?.warn("event feed: no replica set, so no change streams; polling the events collection instead");
      const [newest] = await events.find({}, { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray();
      lastPolled = newest?._id;
      poller = setInterval(() => {
        poll().catch((err: unknown) => opts.logger?.error({ err }, "event feed: polling failed"));
      }, pollMs);
      poller.unref();
    },
    async stop() {
      clearInterval(poller);
      await stream?.close().catch(() => {});
    },
  };
}
