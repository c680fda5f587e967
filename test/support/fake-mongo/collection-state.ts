import type { Document } from "mongodb";
import { indexKey } from "./bson-values.js";
import { duplicateKeyError } from "./server-errors.js";
import { createIndexSet, type IndexSet, type IndexSpec } from "./unique-indexes.js";

/**
 * One collection's committed documents, in natural (insertion) order, keyed by _id. Every
 * change goes through the indexes first, so a write that would break one changes nothing.
 */
export interface CollectionState {
  readonly name: string;
  /** "<db>.<collection>", as error messages name it. */
  readonly ns: string;
  readonly indexes: IndexSet;
  /** As createIndex: builds over the stored documents, failing on duplicates. */
  addIndex(spec: IndexSpec): void;
  /** The stored documents themselves: callers copy before handing them out. */
  all(): Document[];
  get(id: unknown): Document | undefined;
  insert(doc: Document): void;
  /** Replaces the document with the same _id, keeping its place in natural order. */
  replace(doc: Document): void;
  remove(id: unknown): void;
  readonly size: number;
}

export const idKey = (id: unknown) => indexKey(id);

export function createCollectionState(db: string, name: string): CollectionState {
  const docs = new Map<string, Document>();
  const ns = `${db}.${name}`;
  const indexes = createIndexSet(ns);
  return {
    name,
    ns,
    indexes,
    addIndex: (spec) => indexes.add(spec, docs.entries()),
    all: () => [...docs.values()],
    get: (id) => docs.get(idKey(id)),
    insert(doc) {
      const key = idKey(doc["_id"]);
      // The _id index: documents are keyed by _id, so a taken one is a duplicate of index _id_.
      if (docs.has(key)) throw duplicateKeyError(ns, "_id_", { _id: 1 }, { _id: doc["_id"] });
      indexes.check(key, doc);
      indexes.put(key, undefined, doc);
      docs.set(key, doc);
    },
    replace(doc) {
      const key = idKey(doc["_id"]);
      indexes.check(key, doc);
      indexes.put(key, docs.get(key), doc);
      docs.set(key, doc);
    },
    remove(id) {
      const key = idKey(id);
      indexes.put(key, docs.get(key), undefined);
      docs.delete(key);
    },
    get size() {
      return docs.size;
    },
  };
}
