import type { BsonOptions } from "./bson-values.js";
import { createCollectionState, type CollectionState } from "./collection-state.js";
import { createCommitQueue, type CommitQueue } from "./commit-queue.js";
import { createCounters, type Counters } from "./counters.js";
import { createOplog, type ClusterTime, type Oplog } from "./oplog.js";
import { createWriteFailures, type WriteFailures } from "./write-failures.js";

export interface FakeMongoOptions {
  /** The only source of randomness (latencies), so a seeded run reproduces its choices. Default Math.random. */
  random?: () => number;
  /** Delay from issuing an operation to its commit (a read: to its evaluation). Default [0, 0]. */
  commitLatencyMs?: [number, number];
  /** Delay from commit to the reply reaching the caller, and from commit to change-stream delivery. Default [0, 0]. */
  replyLatencyMs?: [number, number];
  /** Cluster time of the first commit. Default: now in seconds, increment 1. */
  startTime?: ClusterTime;
  /** How many oplog entries are kept for change streams to resume from. Default 100,000. */
  oplogLimit?: number;
  /** Database name in namespaces and error messages. Default "sessionflow". */
  dbName?: string;
  /** As the driver option; default true, as src/store/mongo/connect.ts configures the client. */
  ignoreUndefined?: boolean;
}

/** What the server holds for an open change stream. */
export interface StreamHandle {
  /** New entries were committed. */
  wake(): void;
  /** Emits `error`, then closes. */
  fail(error: Error): void;
  /** Has emitted everything committed, or is closed, or is paused without a "change" listener. */
  readonly caughtUp: boolean;
}

/** The shared state behind every collection view and stream: one server, many clients. */
export interface Server {
  readonly dbName: string;
  readonly bson: BsonOptions;
  readonly queue: CommitQueue;
  readonly counters: Counters;
  readonly failures: WriteFailures;
  readonly oplog: Oplog;
  readonly streams: Set<StreamHandle>;
  collection(name: string): CollectionState;
  commitDelay(): number;
  replyDelay(): number;
  /** Wakes every stream; called after each commit. */
  committed(): void;
  /** Writes issued and not yet at their commit moment. */
  pendingWrites: number;
  /** Set by failNextWatch; the next watch() takes it. */
  nextWatchFailure: Error | undefined;
}

export function createServer(opts: FakeMongoOptions = {}): Server {
  const random = opts.random ?? Math.random;
  const draw = ([min, max]: [number, number]) => (max > min ? min + random() * (max - min) : min);
  const commit = opts.commitLatencyMs ?? [0, 0];
  const reply = opts.replyLatencyMs ?? [0, 0];
  const dbName = opts.dbName ?? "sessionflow";
  const collections = new Map<string, CollectionState>();
  const streams = new Set<StreamHandle>();
  return {
    dbName,
    bson: { ignoreUndefined: opts.ignoreUndefined ?? true },
    queue: createCommitQueue(),
    counters: createCounters(),
    failures: createWriteFailures(),
    oplog: createOplog(opts.startTime ?? { t: Math.floor(Date.now() / 1000), i: 1 }, opts.oplogLimit ?? 100_000),
    streams,
    collection(name) {
      let state = collections.get(name);
      if (!state) collections.set(name, (state = createCollectionState(dbName, name)));
      return state;
    },
    commitDelay: () => draw(commit),
    replyDelay: () => draw(reply),
    committed() {
      for (const stream of streams) stream.wake();
    },
    pendingWrites: 0,
    nextWatchFailure: undefined,
  };
}
