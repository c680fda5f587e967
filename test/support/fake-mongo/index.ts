import type { Collection, Document, Timestamp } from "mongodb";
import type { IndexDeclaration } from "../../../src/store/mongo/indexes.js";
import { copyDocument } from "./bson-values.js";
import { createCollection } from "./collection.js";
import { toTimestamp } from "./oplog.js";
import { hostUnreachableError } from "./server-errors.js";
import { createServer, type FakeMongoOptions } from "./server.js";
import { normalizeKey } from "./unique-indexes.js";
import type { WriteFailure } from "./write-failures.js";

export type { FakeMongoOptions } from "./server.js";
export type { FakeChangeStream, WatchOptions } from "./change-stream.js";
export type { WriteFailure, WriteOp, WriteCommand } from "./write-failures.js";
export type { ClusterTime, ResumeToken } from "./oplog.js";

/**
 * An in-memory MongoDB replica set, as far as the MongoDB store depends on one: several store
 * instances ("replicas") get collections from one FakeMongo and share its data, its unique
 * indexes, its commit order and its change streams. See createFakeMongo.
 */
export interface FakeMongo {
  readonly dbName: string;
  /** A view on the named collection; every call with the same name sees the same data. */
  collection(name: string): Collection<any>;
  /** Creates the declared indexes (unique, partial, multikey) as ensureIndexes would. */
  declareIndexes(declarations: readonly IndexDeclaration[]): void;
  /** Copies of a collection's committed documents, in natural order. */
  docs(name: string): Document[];
  /** Copies of the committed change events still held, in commit order, across collections. */
  readonly oplog: Document[];
  /** Cluster time of the latest commit. */
  readonly clusterTime: Timestamp | undefined;
  /** Every command, in order, as "collection.command" (e.g. "sessions.replaceOne"). */
  readonly commands: readonly string[];
  /** One collection's commands, as bare names ("replaceOne"). */
  commandsOf(name: string): readonly string[];
  /** BSON bytes of what the driver sends: filters, updates, replacements, documents, pipelines, sorts, projections. */
  readonly bytesSent: number;
  /** BSON bytes of documents returned: query results and change events. */
  readonly bytesReceived: number;
  resetCounters(): void;
  /** Milliseconds the server spent running operations since it started (see CommitQueue.busyMs). */
  readonly serverBusyMs: number;
  /** Every open change stream emits `error` (resumable HostUnreachable by default), then `close`. */
  failChangeStreams(error?: Error): void;
  /** The next watch() emits `error` right after opening, then `close`. */
  failNextWatch(error?: Error): void;
  /** The next matching write(s) fail with a network error, before or after committing. */
  failWrites(failure: WriteFailure): void;
  /** Drops pending write failures and a pending watch failure. */
  clearFailures(): void;
  /** Resolves once no write awaits its commit and every stream has emitted all that committed. */
  idle(): Promise<void>;
  /** Enough of Db.command for the store's probes: ping, and hello reporting a replica set. */
  command(command: Document): Promise<Document>;
  admin(): { command(command: Document): Promise<Document> };
}

/**
 * Creates the fake server. Its model, in short:
 * - Every operation reaches the server after a random `commitLatencyMs` and runs there alone:
 *   a write commits atomically at that moment (its filter, e.g. a version guard, and the unique
 *   indexes evaluated against the data as it is then), a read sees what has committed. Writes
 *   issued A then B may commit B first. Replies arrive a random `replyLatencyMs` later.
 *   With both latencies 0 (the default) operations still complete asynchronously, in order.
 * - Commits get unique, increasing cluster times from `startTime`; change streams emit in
 *   commit order, resumable from any token or cluster time the oplog (`oplogLimit`) still holds.
 * - Errors are the driver's classes with the server's codes and messages.
 */
export function createFakeMongo(opts: FakeMongoOptions = {}): FakeMongo {
  const server = createServer(opts);
  const views = new Map<string, Collection<any>>();
  const command = async (cmd: Document): Promise<Document> => {
    const [name] = Object.keys(cmd);
    server.counters.sent("$cmd", name ?? "", 0);
    await new Promise((resolve) => setImmediate(resolve));
    if (name === "hello" || name === "isMaster") return { isWritablePrimary: true, setName: "rs0", hosts: ["fake-mongo:27017"], ok: 1 };
    return { ok: 1 };
  };

  return {
    dbName: server.dbName,
    collection(name) {
      let view = views.get(name);
      if (!view) views.set(name, (view = createCollection(server, name) as unknown as Collection<any>));
      return view;
    },
    declareIndexes(declarations) {
      for (const d of declarations) {
        const partial = d.options?.partialFilterExpression as Document | undefined;
        server.collection(d.collection).addIndex({
          name: d.name,
          key: normalizeKey(d.key),
          unique: d.options?.unique === true,
          ...(partial ? { partialFilterExpression: partial } : {}),
        });
      }
    },
    docs: (name) =>
      server
        .collection(name)
        .all()
        .map((d) => copyDocument(d, server.bson)),
    get oplog() {
      return server.oplog.entries().map((e) => copyDocument(e.change, server.bson));
    },
    get clusterTime() {
      const last = server.oplog.last;
      return last ? toTimestamp(last) : undefined;
    },
    commands: server.counters.commands,
    commandsOf: (name) => server.counters.commandsOf(name),
    get bytesSent() {
      return server.counters.bytesSent;
    },
    get bytesReceived() {
      return server.counters.bytesReceived;
    },
    resetCounters: () => server.counters.reset(),
    get serverBusyMs() {
      return server.queue.busyMs;
    },
    failChangeStreams(error) {
      // Each stream fails even if an earlier one has no "error" listener (which throws, as in Node).
      let unhandled: unknown;
      for (const stream of [...server.streams]) {
        try {
          stream.fail(error ?? hostUnreachableError());
        } catch (e) {
          unhandled ??= e;
        }
      }
      if (unhandled) throw unhandled;
    },
    failNextWatch(error) {
      server.nextWatchFailure = error ?? hostUnreachableError();
    },
    failWrites: (failure) => server.failures.add(failure),
    clearFailures() {
      server.failures.clear();
      server.nextWatchFailure = undefined;
    },
    async idle() {
      const quiet = () => server.pendingWrites === 0 && [...server.streams].every((s) => s.caughtUp);
      for (;;) {
        if (quiet()) {
          // Let listeners' promise chains run: they may issue writes of their own.
          await new Promise((resolve) => setImmediate(resolve));
          if (quiet()) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    command,
    admin: () => ({ command }),
  };
}
