import { EventEmitter } from "node:events";
import { aggregate } from "mingo";
import type { Document } from "mongodb";
import { copyDocument } from "./bson-values.js";
import { bsonSize } from "./bson-size.js";
import { compareTs, parseToken, tokenOf, type ClusterTime, type OplogEntry, type ResumeToken } from "./oplog.js";
import { badResumeTokenError, historyLostError, serverError } from "./server-errors.js";
import type { Server, StreamHandle } from "./server.js";

/**
 * A change stream in the driver's event-emitter mode: "change", "error", "close", close(),
 * `closed`, `resumeToken`. It reads the oplog from its start point, in commit order, and
 * emits asynchronously after each commit (after a reply latency), never in issue order.
 *
 * - Start: by default after everything committed when watch() is called; `startAtOperationTime`
 *   from that cluster time inclusive; `resumeAfter` / `startAfter` strictly after the token.
 *   A start point older than the oplog still holds fails with ChangeStreamHistoryLost (286)
 *   right after opening, and so does a stream that falls that far behind.
 * - Like the driver, it streams only while a "change" listener is attached, so changes
 *   committed before the listener is added are not lost.
 * - `resumeToken` is, like the driver's, the token of the last change emitted or, once a batch
 *   is drained, of the last oplog entry examined (the post-batch resume token), so resuming
 *   from it repeats nothing and loses nothing even when the pipeline filtered changes out.
 * - `fullDocument: "updateLookup"` looks the document up when the change is emitted: it may
 *   be newer than the change, or null if deleted since.
 * - The pipeline runs on each change with mingo ($match, $project, ...).
 */
export interface FakeChangeStream extends EventEmitter {
  readonly closed: boolean;
  readonly resumeToken: ResumeToken | null;
  close(): Promise<void>;
}

export interface WatchOptions {
  fullDocument?: "default" | "updateLookup" | string;
  startAtOperationTime?: { t: number; i: number };
  resumeAfter?: unknown;
  startAfter?: unknown;
}

export function createChangeStream(server: Server, collection: string, pipeline: Document[], options: WatchOptions): FakeChangeStream {
  const { oplog } = server;
  const emitter = new EventEmitter();
  let closed = false;
  let scheduled = false;
  let token: ResumeToken | null = null;
  let nextSeq = oplog.endSeq;
  let startError: Error | undefined = server.nextWatchFailure;
  server.nextWatchFailure = undefined;

  // A null token (a stream closed before it saw anything) means no resume point.
  const resumeFrom = options.startAfter ?? options.resumeAfter;
  if (resumeFrom != null) {
    const ts = parseToken(resumeFrom);
    if (!ts) startError ??= badResumeTokenError(resumeFrom);
    else if (!oplog.holdsFrom(ts)) startError ??= historyLostError();
    else {
      nextSeq = oplog.seekAtOrAfter(ts);
      const at = oplog.at(nextSeq);
      if (at && compareTs(at.ts, ts) === 0) nextSeq++;
      token = { _data: (resumeFrom as ResumeToken)._data };
    }
  } else if (options.startAtOperationTime) {
    const ts: ClusterTime = { t: options.startAtOperationTime.t, i: options.startAtOperationTime.i };
    if (!oplog.holdsFrom(ts)) startError ??= historyLostError();
    else nextSeq = oplog.seekAtOrAfter(ts);
  } else if (oplog.last) {
    token = tokenOf(oplog.last);
  }

  // A stream that failed to open emits nothing but its error.
  const streaming = () => !closed && !startError && emitter.listenerCount("change") > 0;

  /** The change as this stream reports it, or undefined if the pipeline drops it. */
  function present(entry: OplogEntry): Document | undefined {
    let change = copyDocument(entry.change, server.bson);
    if (change["operationType"] === "update" && options.fullDocument === "updateLookup") {
      const current = server.collection(collection).get(change["documentKey"]["_id"]);
      const fullDocument = current ? copyDocument(current, server.bson) : null;
      // In the server's field order: fullDocument before ns.
      const { ns, documentKey, updateDescription, ...head } = change;
      change = { ...head, fullDocument, ns, documentKey, updateDescription };
    }
    if (pipeline.length === 0) return change;
    const [out] = aggregate([change], pipeline as never) as Document[];
    if (out && (!out["_id"] || out["_id"]["_data"] !== change["_id"]["_data"])) {
      throw serverError(280, "ChangeStreamFatalError", "Encountered an event whose _id field, which contains the resume token, was modified by the pipeline.");
    }
    return out;
  }

  function pump() {
    scheduled = false;
    if (!streaming()) return;
    if (nextSeq < oplog.firstSeq) {
      handle.fail(historyLostError());
      return;
    }
    while (streaming() && nextSeq < oplog.endSeq) {
      const entry = oplog.at(nextSeq++)!;
      // Tokens are derived from cluster times alone, so an examined entry's token is the
      // post-batch token and, for an emitted change, its _id.
      token = tokenOf(entry.ts);
      if (entry.collection !== collection) continue;
      let change: Document | undefined;
      try {
        change = present(entry);
      } catch (e) {
        handle.fail(e as Error);
        return;
      }
      if (!change) continue;
      server.counters.received(bsonSize(change, server.bson));
      emitter.emit("change", change);
    }
  }

  function schedule() {
    if (scheduled || !streaming() || nextSeq >= oplog.endSeq) return;
    scheduled = true;
    const delay = server.replyDelay();
    if (delay > 0) setTimeout(pump, delay);
    else setImmediate(pump);
  }

  function finish() {
    if (closed) return;
    closed = true;
    server.streams.delete(handle);
    emitter.emit("close");
  }

  const handle: StreamHandle = {
    wake: schedule,
    fail(error) {
      if (closed) return;
      try {
        emitter.emit("error", error);
      } finally {
        finish();
      }
    },
    get caughtUp() {
      return !streaming() || (!scheduled && nextSeq >= oplog.endSeq);
    },
  };
  if (!startError) server.streams.add(handle);

  // "newListener" fires before the listener is added, so start streaming a tick later.
  emitter.on("newListener", (event) => {
    if (event === "change") queueMicrotask(schedule);
  });
  if (startError) {
    const error = startError;
    setImmediate(() => handle.fail(error));
  }

  return Object.defineProperties(
    Object.assign(emitter, {
      async close() {
        finish();
      },
    }),
    {
      closed: { get: () => closed, enumerable: true },
      resumeToken: { get: () => token, enumerable: true },
    },
  ) as FakeChangeStream;
}
