import { aggregate, Query } from "mingo";
import { MongoInvalidArgumentError, MongoServerError, ObjectId, type Document, type IndexSpecification } from "mongodb";
import { copyDocument, copyValue, formatValue, sameBson } from "./bson-values.js";
import { bsonSize, maxDocumentBytes } from "./bson-size.js";
import { createChangeStream, type WatchOptions } from "./change-stream.js";
import { createAggregateCursor, createFindCursor, type FindOptions } from "./cursor.js";
import type { ChangeBody } from "./oplog.js";
import { bulkWriteError, documentTooLargeError, immutableIdError, networkError, resultTooLargeError, type WriteErrorInfo } from "./server-errors.js";
import type { Server } from "./server.js";
import { defaultIndexName, normalizeKey } from "./unique-indexes.js";
import { applyUpdate } from "./update-operators.js";
import { equalityOf, upsertSeed } from "./upsert-seed.js";
import type { WriteOp } from "./write-failures.js";

/**
 * One client's view of a collection on the shared server, with the driver's method
 * signatures and result shapes. Arguments are serialized as the driver would send them (so
 * `undefined` fields vanish), the command is counted, and the operation runs on the server's
 * timeline: a write at its commit moment, atomically, with its filter and the unique indexes
 * evaluated against the data as it is then; a read at its own moment, seeing committed data.
 */
export interface UpdateResult {
  acknowledged: boolean;
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
  upsertedId: unknown;
}

const hasAtomicOperators = (doc: Document) => Object.keys(doc)[0]?.startsWith("$") ?? false;

/** The server stores _id as the first field. */
function idFirst(doc: Document): Document {
  if (Object.keys(doc)[0] === "_id") return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

export function createCollection(server: Server, name: string) {
  const state = () => server.collection(name);
  const bson = server.bson;
  const wire = <T>(value: T): T => (value === undefined ? value : copyValue(value, bson));
  const size = (value: Document | readonly unknown[] | undefined) => bsonSize(value, bson);
  const matcher = (filter: Document) => new Query(filter);

  function send(command: string, parts: (Document | readonly unknown[] | undefined)[]) {
    server.counters.sent(name, command, parts.reduce<number>((n, p) => n + size(p), 0));
  }

  function reply(fn: () => void) {
    const delay = server.replyDelay();
    if (delay > 0) setTimeout(fn, delay);
    else fn();
  }

  /** A read, evaluated at its moment on the server's timeline. */
  function read<T>(command: string, parts: (Document | readonly unknown[] | undefined)[], evaluate: () => T, bytes: (result: T) => number): Promise<T> {
    send(command, parts);
    return new Promise<T>((resolve, reject) => {
      server.queue.schedule(server.commitDelay(), () => {
        try {
          const result = evaluate();
          server.counters.received(bytes(result));
          reply(() => resolve(result));
        } catch (e) {
          reply(() => reject(e));
        }
      });
    });
  }

  /** A write, applied atomically at its commit moment, unless a failure rule intervenes. */
  function write<T>(op: WriteOp, parts: (Document | readonly unknown[] | undefined)[], apply: () => T): Promise<T> {
    send(op.command, parts);
    const failure = server.failures.take(op);
    server.pendingWrites++;
    return new Promise<T>((resolve, reject) => {
      server.queue.schedule(server.commitDelay(), () => {
        server.pendingWrites--;
        if (failure?.when === "before-commit") {
          reply(() => reject(failure.error ?? networkError("before commit")));
          return;
        }
        let outcome: { ok: true; value: T } | { ok: false; error: unknown };
        try {
          outcome = { ok: true, value: apply() };
        } catch (error) {
          outcome = { ok: false, error };
        }
        server.committed();
        if (failure) reply(() => reject(failure.error ?? networkError("after commit")));
        else reply(() => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
      });
    });
  }

  const log = (body: ChangeBody) => server.oplog.append(server.dbName, name, body);
  const logInsert = (doc: Document) => log({ operationType: "insert", fullDocument: doc, documentKey: { _id: doc["_id"] } });

  function checkUpdatedSize(doc: Document) {
    if (size(doc) > maxDocumentBytes) throw resultTooLargeError();
  }

  function matching(filter: Document, limit?: number): Document[] {
    const query = matcher(filter);
    const out: Document[] = [];
    for (const doc of state().all()) {
      if (!query.test(doc)) continue;
      out.push(doc);
      if (out.length === limit) break;
    }
    return out;
  }

  function query(filter: Document, options: FindOptions): Document[] {
    const { projection, slices } = splitSlices(options.projection);
    let cursor = new Query(filter).find<Document>(state().all());
    if (options.sort) cursor = cursor.sort(options.sort as Record<string, 1 | -1>);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(Math.abs(options.limit));
    const found = cursor.all().map((d) => copyDocument(d, bson));
    // Projected on copies: mingo deletes a nested excluded field ("risk.reasons") from the
    // document it is given, and a server never changes what it stores to answer a read.
    const projected = projection ? new Query({}).find<Document>(found, projection as never).all() : found;
    return projected.map((d) => sliced(d, slices));
  }

  /**
   * A server keeps every field not excluded when an exclusion projection also slices arrays
   * (`{ a: 0, list: { $slice: -1 } }`); mingo reads the $slice as an inclusion and refuses the
   * mix. So top-level slices of an exclusion projection are taken out and applied here.
   */
  function splitSlices(projection: Document | undefined): { projection: Document | undefined; slices: [string, number][] } {
    if (!projection) return { projection, slices: [] };
    const rest: Document = {};
    const slices: [string, number][] = [];
    for (const [field, spec] of Object.entries(projection)) {
      if (spec && typeof spec === "object" && typeof spec.$slice === "number" && !field.includes(".")) slices.push([field, spec.$slice]);
      else rest[field] = spec;
    }
    const excluding = Object.entries(rest).every(([field, spec]) => spec === 0 || spec === false || field === "_id");
    if (!excluding || slices.length === 0) return { projection, slices: [] };
    return { projection: Object.keys(rest).length ? rest : undefined, slices };
  }

  function sliced(doc: Document, slices: [string, number][]): Document {
    for (const [field, n] of slices) {
      const list = doc[field];
      if (Array.isArray(list)) doc[field] = n < 0 ? list.slice(n) : list.slice(0, n);
    }
    return doc;
  }

  /** The find options that travel in the command, as sent. */
  function findOptions(options: FindOptions): FindOptions {
    return {
      ...(options.sort ? { sort: wire(options.sort) } : {}),
      ...(options.projection ? { projection: wire(options.projection) } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.skip ? { skip: options.skip } : {}),
    };
  }

  /**
   * mingo may modify its input (e.g. $addFields with a dotted path), so the pipeline runs on
   * copies: of the documents a leading $match selects (mingo's Query only reads), else of all.
   */
  function runPipeline(pipeline: Document[]): Document[] {
    const first = pipeline[0]?.["$match"] as Document | undefined;
    const input = first ? matching(first) : state().all();
    return (aggregate(input.map((d) => copyDocument(d, bson)), pipeline as never) as Document[]).map((d) => copyDocument(d, bson));
  }

  const sizeOfAll = (docs: Document[]) => docs.reduce((n, d) => n + size(d), 0);

  function update(filter: Document, updateDoc: Document, options: { upsert?: boolean } | undefined, multi: boolean): Promise<UpdateResult> {
    if (Array.isArray(updateDoc)) throw new Error("fake-mongo: pipeline-style updates are not modeled");
    if (!hasAtomicOperators(updateDoc)) return Promise.reject(new MongoInvalidArgumentError("Update document requires atomic operators"));
    const f = wire(filter);
    const u = wire(updateDoc);
    return write({ collection: name, command: multi ? "updateMany" : "updateOne", filter: f, update: u }, [f, u], () => {
      const matches = matching(f, multi ? undefined : 1);
      if (matches.length === 0) {
        if (!options?.upsert) return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
        const outcome = applyUpdate(upsertSeed(f), u, { inserting: true, bson });
        const doc = idFirst({ ...outcome.doc, _id: outcome.doc["_id"] ?? new ObjectId() });
        checkUpdatedSize(doc);
        state().insert(doc);
        logInsert(doc);
        return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1, upsertedId: copyValue(doc["_id"], bson) };
      }
      let modified = 0;
      for (const match of matches) {
        const outcome = applyUpdate(match, u, { inserting: false, bson });
        if (!outcome.changed) continue;
        checkUpdatedSize(outcome.doc);
        state().replace(outcome.doc);
        log({
          operationType: "update",
          documentKey: { _id: outcome.doc["_id"] },
          updateDescription: { updatedFields: outcome.updatedFields, removedFields: outcome.removedFields, truncatedArrays: [] },
        });
        modified++;
      }
      return { acknowledged: true, matchedCount: matches.length, modifiedCount: modified, upsertedCount: 0, upsertedId: null };
    });
  }

  function remove(filter: Document, multi: boolean) {
    const f = wire(filter);
    return write({ collection: name, command: multi ? "deleteMany" : "deleteOne", filter: f }, [f], () => {
      const matches = matching(f, multi ? undefined : 1);
      for (const doc of matches) {
        state().remove(doc["_id"]);
        log({ operationType: "delete", documentKey: { _id: doc["_id"] } });
      }
      return { acknowledged: true, deletedCount: matches.length };
    });
  }

  /** The driver assigns a missing _id client-side, mutating the caller's document. */
  const assignId = (doc: Document) => {
    if (doc["_id"] === undefined) doc["_id"] = new ObjectId();
    return doc;
  };

  function insertStored(sent: Document): Document {
    const doc = idFirst(sent);
    const bytes = size(doc);
    if (bytes > maxDocumentBytes) throw documentTooLargeError(bytes, doc);
    state().insert(doc);
    logInsert(doc);
    return doc;
  }

  return {
    collectionName: name,
    dbName: server.dbName,
    namespace: `${server.dbName}.${name}`,

    insertOne(doc: Document) {
      const sent = wire(assignId(doc));
      return write({ collection: name, command: "insertOne", documents: [sent] }, [sent], () => {
        const stored = insertStored(sent);
        return { acknowledged: true, insertedId: copyValue(stored["_id"], bson) };
      });
    },

    async insertMany(docs: Document[], options: { ordered?: boolean } = {}) {
      // The driver's bulk API refuses an oversized document before sending anything.
      for (const doc of docs) {
        if (bsonSize(assignId(doc), { ignoreUndefined: false }) >= maxDocumentBytes) {
          throw new MongoInvalidArgumentError(`Document is larger than the maximum size ${maxDocumentBytes}`);
        }
      }
      const sent = docs.map(wire);
      const ordered = options.ordered !== false;
      return write({ collection: name, command: "insertMany", documents: sent }, sent, () => {
        const errors: WriteErrorInfo[] = [];
        const inserted: { index: number; _id: unknown }[] = [];
        for (const [index, doc] of sent.entries()) {
          try {
            inserted.push({ index, _id: insertStored(doc)["_id"] });
          } catch (e) {
            if (!(e instanceof MongoServerError)) throw e;
            errors.push({ index, code: Number(e.code), errmsg: e.message, error: e });
            if (ordered) break;
          }
        }
        if (errors.length) throw bulkWriteError(errors, inserted);
        return {
          acknowledged: true,
          insertedCount: inserted.length,
          insertedIds: Object.fromEntries(inserted.map((x) => [x.index, copyValue(x._id, bson)])),
        };
      });
    },

    async updateOne(filter: Document, updateDoc: Document, options?: { upsert?: boolean }) {
      return update(filter, updateDoc, options, false);
    },

    async updateMany(filter: Document, updateDoc: Document, options?: { upsert?: boolean }) {
      return update(filter, updateDoc, options, true);
    },

    async replaceOne(filter: Document, replacement: Document, options?: { upsert?: boolean }): Promise<UpdateResult> {
      if (hasAtomicOperators(replacement)) throw new MongoInvalidArgumentError("Replacement document must not contain atomic operators");
      const f = wire(filter);
      const r = wire(replacement);
      return write({ collection: name, command: "replaceOne", filter: f, update: r }, [f, r], () => {
        const [match] = matching(f, 1);
        const { _id: givenId, ...fields } = r;
        if (!match) {
          if (!options?.upsert) return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
          // A replacement upsert takes its _id from the replacement, else from the filter's equality on _id.
          const id = givenId !== undefined ? givenId : (equalityOf(f, "_id")?.value ?? new ObjectId());
          const doc = { _id: id, ...fields };
          checkUpdatedSize(doc);
          state().insert(doc);
          logInsert(doc);
          return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1, upsertedId: copyValue(id, bson) };
        }
        if (givenId !== undefined && !sameBson(givenId, match["_id"])) {
          throw immutableIdError(`After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(givenId)}`);
        }
        const doc = { _id: match["_id"], ...fields };
        // A replacement identical to the stored document is a no-op: no write, no change event.
        if (sameBson(doc, match)) return { acknowledged: true, matchedCount: 1, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
        checkUpdatedSize(doc);
        state().replace(doc);
        log({ operationType: "replace", fullDocument: doc, documentKey: { _id: doc["_id"] } });
        return { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null };
      });
    },

    async deleteOne(filter: Document = {}) {
      return remove(filter, false);
    },

    async deleteMany(filter: Document = {}) {
      return remove(filter, true);
    },

    async findOne(filter: Document = {}, options: Omit<FindOptions, "limit"> = {}) {
      const f = wire(filter);
      const o = findOptions(options);
      return read("findOne", [f, o.sort, o.projection], () => query(f, { ...o, limit: 1 })[0] ?? null, (d) => (d ? size(d) : 0));
    },

    find(filter: Document = {}, options: FindOptions = {}) {
      const f = wire(filter);
      return createFindCursor((o) => {
        const sent = findOptions(o);
        return read("find", [f, sent.sort, sent.projection], () => query(f, sent), sizeOfAll);
      }, options);
    },

    aggregate(pipeline: Document[] = []) {
      const p = wire(pipeline);
      return createAggregateCursor(() => read("aggregate", [p], () => runPipeline(p), sizeOfAll));
    },

    async countDocuments(filter: Document = {}) {
      const f = wire(filter);
      return read("countDocuments", [f], () => matching(f).length, () => 0);
    },

    async estimatedDocumentCount() {
      return read("estimatedDocumentCount", [], () => state().size, () => 0);
    },

    async createIndex(key: IndexSpecification, options: Document = {}) {
      const normalized = normalizeKey(key);
      const indexName = typeof options["name"] === "string" ? options["name"] : defaultIndexName(normalized);
      const partial = options["partialFilterExpression"] as Document | undefined;
      const spec = { name: indexName, key: normalized, unique: options["unique"] === true, ...(partial ? { partialFilterExpression: wire(partial) } : {}) };
      return read("createIndex", [normalized], () => {
        state().addIndex(spec);
        return indexName;
      }, () => 0);
    },

    watch(pipeline: Document[] = [], options: WatchOptions = {}) {
      const p = wire(pipeline);
      send("watch", [p]);
      return createChangeStream(server, name, p, options);
    },
  };
}
