import { Timestamp, type Document } from "mongodb";

/**
 * The fake's oplog: every committed change, in commit order, each with a cluster time that is
 * unique and strictly increasing (t = seconds, i = increment) and a resume token whose hex
 * sorts in the same order. Only the newest `limit` entries are kept; a stream that needs older
 * history gets ChangeStreamHistoryLost, as on a server whose oplog has rolled over.
 *
 * The clock is logical: t stays at the start time's seconds and i counts commits, so a seeded
 * run reproduces its cluster times; wallTime is derived from t for the same reason.
 */
export interface ClusterTime {
  t: number;
  i: number;
}

export interface ResumeToken {
  _data: string;
}

export interface OplogEntry {
  /** Position in the whole history, counting dropped entries. */
  seq: number;
  ts: ClusterTime;
  collection: string;
  /** The change event as a stream reports it (without an updateLookup document). */
  change: Document;
}

export type ChangeBody = {
  operationType: "insert" | "update" | "replace" | "delete";
  fullDocument?: Document;
  documentKey: Document;
  updateDescription?: Document;
};

export interface Oplog {
  append(db: string, collection: string, body: ChangeBody): OplogEntry;
  /** Seq of the oldest entry kept, and one past the newest. */
  readonly firstSeq: number;
  readonly endSeq: number;
  at(seq: number): OplogEntry | undefined;
  entries(): readonly OplogEntry[];
  /** Seq of the first entry with a cluster time >= ts (or endSeq). */
  seekAtOrAfter(ts: ClusterTime): number;
  /** Whether history from `ts` on (inclusive) is still complete. */
  holdsFrom(ts: ClusterTime): boolean;
  /** Cluster time of the newest commit, if any. */
  readonly last: ClusterTime | undefined;
}

export const compareTs = (a: ClusterTime, b: ClusterTime) => (a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i < b.i ? -1 : a.i > b.i ? 1 : 0);

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");

/** Real tokens start with 0x82 (a keystring Timestamp) then t and i: fixed width, so string order is time order. */
export const tokenOf = (ts: ClusterTime): ResumeToken => ({ _data: `82${hex8(ts.t)}${hex8(ts.i)}` });

export function parseToken(token: unknown): ClusterTime | undefined {
  const data = (token as { _data?: unknown } | null)?._data;
  if (typeof data !== "string" || !/^82[0-9A-Fa-f]{16}/.test(data)) return undefined;
  return { t: parseInt(data.slice(2, 10), 16), i: parseInt(data.slice(10, 18), 16) };
}

export const toTimestamp = (ts: ClusterTime) => new Timestamp({ t: ts.t, i: ts.i });

export function createOplog(start: ClusterTime, limit: number): Oplog {
  let entries: OplogEntry[] = [];
  let firstSeq = 0;
  let endSeq = 0;
  let next: ClusterTime = { ...start };
  let last: ClusterTime | undefined;
  let truncated = false;

  const tick = (): ClusterTime => {
    const ts = next;
    next = ts.i >= 0xffffffff ? { t: ts.t + 1, i: 1 } : { t: ts.t, i: ts.i + 1 };
    last = ts;
    return ts;
  };

  return {
    append(db, collection, body) {
      const ts = tick();
      const change: Document = {
        _id: tokenOf(ts),
        operationType: body.operationType,
        clusterTime: toTimestamp(ts),
        wallTime: new Date(ts.t * 1000),
        ...(body.fullDocument ? { fullDocument: body.fullDocument } : {}),
        ns: { db, coll: collection },
        documentKey: body.documentKey,
        ...(body.updateDescription ? { updateDescription: body.updateDescription } : {}),
      };
      const entry = { seq: endSeq++, ts, collection, change };
      entries.push(entry);
      if (entries.length > limit) {
        const drop = entries.length - limit;
        entries = entries.slice(drop);
        firstSeq += drop;
        truncated = true;
      }
      return entry;
    },
    get firstSeq() {
      return firstSeq;
    },
    get endSeq() {
      return endSeq;
    },
    at: (seq) => entries[seq - firstSeq],
    entries: () => entries,
    seekAtOrAfter(ts) {
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareTs(entries[mid]!.ts, ts) < 0) lo = mid + 1;
        else hi = mid;
      }
      return firstSeq + lo;
    },
    holdsFrom(ts) {
      if (!truncated) return true;
      const oldest = entries[0]?.ts ?? next;
      return compareTs(ts, oldest) >= 0;
    },
    get last() {
      return last;
    },
  };
}
