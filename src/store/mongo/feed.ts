import type { ChangeStream, ChangeStreamDocument, Collection, ResumeToken, Timestamp } from "mongodb";
import type { Logger } from "pino";
import type { EventFeed, FeedEvent } from "../../domain/event-feed.js";
import { cursorBefore, cursorPattern, cursorSeconds, feedEventsOf } from "./change-events.js";
import type { EventDoc, FeedStateDoc, SessionDoc } from "./documents.js";
import { feedAfter } from "./queries.js";

/**
 * The tenant-wide event feed on MongoDB, which needs a replica set (change streams).
 *
 * Events live in the session documents, so a write stays one command. Every replica runs a
 * change stream on `sessions`: the server emits committed writes in commit order, each with a
 * cluster time that is unique and ordered across the replica set, which makes the cursor. Each
 * replica materializes the events idempotently into `events` (the cursor is the `_id`, so the
 * copies other replicas write collide harmlessly), advances its stable point and only then
 * passes them to its subscribers. Processing is strictly sequential, so `events` always holds
 * every event up to each replica's stable point.
 *
 * On any failure (the stream errors, a materialization fails) the feed goes down: subscribers
 * are told (their streams end with a resume cursor), readiness fails, and the stream is reopened
 * after a back-off from the last change fully processed, so nothing is skipped or repeated. A
 * checkpoint (resume token and cursor) is saved about once a second, so a restarted replica
 * resumes where the feed had got to, and events written while every replica was down are still
 * materialized, as long as the oplog still holds them.
 */
export interface MongoFeed extends EventFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface MongoFeedOptions {
  sessions: Collection<SessionDoc>;
  events: Collection<EventDoc>;
  feedState: Collection<FeedStateDoc>;
  /** The server's current cluster time, where a feed with no checkpoint starts. */
  operationTime: () => Promise<Timestamp>;
  /** How long `events` keeps events (its TTL index); older cursors cannot be resumed. */
  retentionSeconds: number;
  now?: () => Date;
  /** First reopen delay after a failure; doubles up to 30 s. */
  retryMs?: number;
  checkpointMs?: number;
  logger?: Logger;
}

/** Slack for clock skew between this replica and the server when judging a cursor's age. */
const skewSeconds = 3600;

export function createMongoFeed(opts: MongoFeedOptions): MongoFeed {
  const { sessions, events, feedState, logger } = opts;
  const now = opts.now ?? (() => new Date());
  const listeners = new Set<{ onEvents: (events: readonly FeedEvent[]) => void; onDown?: (error: Error) => void }>();
  let stream: ChangeStream<SessionDoc> | undefined;
  /** The last change fully processed: the resume point after a failure. */
  let token: ResumeToken | undefined;
  let startAt: Timestamp | undefined;
  let stable = "0".repeat(24);
  let up = false;
  let stopped = false;
  let retryMs = opts.retryMs ?? 200;
  let retryTimer: NodeJS.Timeout | undefined;
  let lastCheckpoint = 0;
  let chain: Promise<void> = Promise.resolve();

  /** Appends events to `events`; a copy another replica appended first is fine. */
  async function materialize(batch: FeedEvent[], at: Date) {
    if (batch.length === 0) return;
    const docs: EventDoc[] = batch.map((f) => ({ _id: f.cursor, tenantId: f.tenantId, sessionId: f.sessionId, workflow: f.workflow, event: f.event, at }));
    try {
      await events.insertMany(docs, { ordered: false });
    } catch (e) {
      const errors = (e as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (list.length === 0 || list.some((w) => w.code !== 11000)) throw e;
    }
  }

  async function checkpoint(change: ChangeStreamDocument<SessionDoc>) {
    if (now().getTime() - lastCheckpoint < (opts.checkpointMs ?? 1000)) return;
    lastCheckpoint = now().getTime();
    try {
      // Only ever forward: a replica that is behind must not move the checkpoint back.
      await feedState.updateOne({ _id: "feed", cursor: { $lt: stable } }, { $set: { cursor: stable, token: change._id, time: now() } }, { upsert: true });
    } catch (e) {
      if ((e as { code?: number }).code !== 11000) throw e; // 11000: another replica is further on
    }
  }

  async function onChange(change: ChangeStreamDocument<SessionDoc>) {
    const batch = feedEventsOf(change);
    // Already passed on: a stream reopened from an older token repeats what was in flight.
    if (batch.length > 0 && batch.at(-1)!.cursor <= stable) {
      token = change._id;
      return;
    }
    const at = new Date(change.clusterTime!.t * 1000);
    await materialize(batch, at);
    const last = batch.at(-1)?.cursor ?? cursorBefore(change.clusterTime!);
    if (last > stable) stable = last;
    token = change._id;
    for (const listener of listeners) listener.onEvents(batch);
    await checkpoint(change);
  }

  function goDown(error: Error) {
    if (stopped) return;
    const wasUp = up;
    up = false;
    if (wasUp) logger?.error({ err: error }, "event feed: down; ending streams and reopening the change stream");
    for (const listener of listeners) listener.onDown?.(error);
    const closing = stream;
    stream = undefined;
    void closing?.close().catch(() => {});
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void open(), retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, 30_000);
  }

  async function open() {
    if (stopped) return;
    try {
      const resume = token ? { resumeAfter: token } : startAt ? { startAtOperationTime: startAt } : {};
      const opened = sessions.watch<SessionDoc>([{ $match: { operationType: { $in: ["insert", "update", "replace"] } } }], resume);
      stream = opened;
      // One chain across reopenings: a change still in flight from the failed stream finishes
      // before the new stream's first, so changes are never processed out of order.
      opened.on("change", (change: ChangeStreamDocument<SessionDoc>) => {
        chain = chain.then(async () => {
          if (stream !== opened) return; // a failed stream's leftovers: the reopened one repeats them
          try {
            await onChange(change);
          } catch (e) {
            if (stream === opened) goDown(e as Error);
          }
        });
      });
      opened.on("error", (error: Error) => {
        if (stream === opened) goDown(error);
      });
      up = true;
      retryMs = opts.retryMs ?? 200;
    } catch (e) {
      goDown(e as Error);
    }
  }

  return {
    async read(tenantId, afterCursor, upTo, limit) {
      const filter = feedAfter(tenantId, afterCursor, upTo);
      const docs = await events.find(filter, { sort: { _id: 1 }, limit }).toArray();
      return docs.map((d) => ({ tenantId: d.tenantId, sessionId: d.sessionId, workflow: d.workflow, cursor: d._id, event: d.event }));
    },
    stablePoint: () => stable,
    async checkResumable(tenantId, cursor) {
      // The TTL index purges by the write's server time, which the cursor carries: a cursor
      // younger than the retention (less skew) has nothing after it purged yet.
      if (cursorSeconds(cursor) >= now().getTime() / 1000 - opts.retentionSeconds + skewSeconds) return undefined;
      const [oldest] = await events.find(feedAfter(tenantId, undefined, undefined), { sort: { _id: 1 }, limit: 1, projection: { _id: 1 } }).toArray();
      if (oldest && cursor >= oldest._id) return undefined;
      return { oldestCursor: oldest?._id ?? stable };
    },
    isCursor: (value) => cursorPattern.test(value),
    healthy: () => up,
    subscribe(onEvents, onDown) {
      const listener = { onEvents, ...(onDown ? { onDown } : {}) };
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      const state = await feedState.findOne({ _id: { $eq: "feed" } });
      if (state) {
        token = state.token as ResumeToken;
        stable = state.cursor;
      } else {
        startAt = await opts.operationTime();
        stable = cursorBefore(startAt);
      }
      await open();
    },
    async stop() {
      stopped = true;
      up = false;
      clearTimeout(retryTimer);
      await stream?.close().catch(() => {});
      await chain.catch(() => {});
    },
  };
}
