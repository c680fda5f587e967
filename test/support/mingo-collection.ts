import { EventEmitter } from "node:events";
import { Query, aggregate } from "mingo";
import { MongoServerError, type Collection, type Document } from "mongodb";
import type { IndexDeclaration } from "../../src/store/mongo/indexes.js";

/**
 * An in-memory stand-in for the parts of the driver's Collection the MongoDB store uses, which
 * runs the store's real filters, sorts, projections and pipelines with mingo (an implementation
 * of MongoDB's query language) and enforces the declared unique indexes the way the server does:
 * a duplicate key is a MongoServerError with code 11000 naming the index. Every call is counted,
 * so tests can assert how many commands an operation costs.
 */
export interface FakeCollection {
  collection: Collection<any>;
  docs: Document[];
  commands: string[];
  /** Change streams opened with watch(); tests emit change events on them. */
  streams: (EventEmitter & { options: Document })[];
}

const values = (doc: Document, path: string): unknown[] => {
  let current: unknown[] = [doc];
  for (const part of path.split(".")) {
    current = current.flatMap((v) => {
      if (v === null || typeof v !== "object") return [];
      const next = (v as Record<string, unknown>)[part];
      return Array.isArray(next) ? next : next === undefined ? [] : [next];
    });
  }
  return current;
};

/** Every key tuple a document contributes to an index (several for a multikey index). */
function keysOf(doc: Document, fields: string[]): string[] {
  let tuples: unknown[][] = [[]];
  for (const field of fields) {
    const vs = values(doc, field);
    const options = vs.length ? vs : [null];
    tuples = tuples.flatMap((t) => options.map((v) => [...t, v]));
  }
  return [...new Set(tuples.map((t) => JSON.stringify(t)))];
}

/** `log`, when given, is shared by several fakes, so commands across collections stay in order. */
export function createFakeCollection(indexes: IndexDeclaration[] = [], log: string[] = []): FakeCollection {
  let docs: Document[] = [];
  const own: string[] = [];
  const commands = {
    push(name: string) {
      own.push(name);
      log.push(name);
    },
  };
  const unique = [
    { name: "_id_", fields: ["_id"], partial: undefined as Document | undefined },
    ...indexes
      .filter((i) => i.options?.unique)
      .map((i) => ({ name: i.name, fields: Object.keys(i.key as Document), partial: i.options?.partialFilterExpression as Document | undefined })),
  ];
  const copy = <T>(v: T): T => structuredClone(v);
  const streams: (EventEmitter & { options: Document })[] = [];

  function checkUnique(doc: Document, exceptId?: unknown) {
    for (const index of unique) {
      if (index.partial && !new Query(index.partial).test(doc)) continue;
      const mine = new Set(keysOf(doc, index.fields));
      for (const other of docs) {
        if (exceptId !== undefined && other["_id"] === exceptId) continue;
        if (index.partial && !new Query(index.partial).test(other)) continue;
        if (keysOf(other, index.fields).some((k) => mine.has(k))) {
          throw new MongoServerError({
            message: `E11000 duplicate key error collection: fake index: ${index.name}`,
            code: 11000,
            keyPattern: Object.fromEntries(index.fields.map((f) => [f, 1])),
          });
        }
      }
    }
  }

  function query(filter: Document, options: { sort?: Document; limit?: number; projection?: Document } = {}) {
    let cursor = new Query(filter).find(docs, options.projection);
    if (options.sort) cursor = cursor.sort(options.sort as Record<string, 1 | -1>);
    if (options.limit) cursor = cursor.limit(options.limit);
    return cursor.all().map(copy);
  }

  const collection = {
    async insertOne(doc: Document) {
      commands.push("insertOne");
      checkUnique(doc);
      docs.push(copy(doc));
      return { acknowledged: true, insertedId: doc["_id"] };
    },
    async insertMany(batch: Document[], options: { ordered?: boolean } = {}) {
      commands.push("insertMany");
      const writeErrors: { code: number; index: number }[] = [];
      batch.forEach((doc, index) => {
        try {
          checkUnique(doc);
          docs.push(copy(doc));
        } catch (e) {
          if (options.ordered !== false) throw e;
          writeErrors.push({ code: 11000, index });
        }
      });
      if (writeErrors.length) throw Object.assign(new Error("bulk write error"), { writeErrors });
      return { acknowledged: true };
    },
    async replaceOne(filter: Document, doc: Document, options: { upsert?: boolean } = {}) {
      commands.push("replaceOne");
      const [match] = new Query(filter).find(docs).all() as Document[];
      if (!match && options.upsert) {
        checkUnique(doc);
        docs.push(copy(doc));
        return { matchedCount: 0, modifiedCount: 0, upsertedCount: 1 };
      }
      if (!match) return { matchedCount: 0, modifiedCount: 0 };
      const replacement = { ...copy(doc), _id: match["_id"] };
      checkUnique(replacement, match["_id"]);
      docs = docs.map((d) => (d["_id"] === match["_id"] ? replacement : d));
      return { matchedCount: 1, modifiedCount: 1 };
    },
    async findOne(filter: Document) {
      commands.push("findOne");
      return query(filter, { limit: 1 })[0] ?? null;
    },
    find(filter: Document, options?: { sort?: Document; limit?: number; projection?: Document }) {
      commands.push("find");
      return { toArray: async () => query(filter, options) };
    },
    aggregate(pipeline: Document[]) {
      commands.push("aggregate");
      return { toArray: async () => aggregate(docs, pipeline as never).map(copy) };
    },
    watch(_pipeline: Document[], options: Document = {}) {
      commands.push("watch");
      const stream = Object.assign(new EventEmitter(), { options, close: async () => {} });
      streams.push(stream);
      return stream;
    },
    async countDocuments(filter: Document) {
      commands.push("countDocuments");
      return new Query(filter).find(docs).all().length;
    },
  };
  return {
    collection: collection as unknown as Collection<any>,
    get docs() {
      return docs;
    },
    commands: own,
    streams,
  };
}
