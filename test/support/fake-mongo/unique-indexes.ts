import type { Document, IndexSpecification } from "mongodb";
import { Query } from "mingo";
import { indexKey, isPlainDocument, sameBson } from "./bson-values.js";
import { duplicateKeyError, parallelArraysError, serverError } from "./server-errors.js";

/**
 * A collection's indexes, as far as they can make a write fail: a unique index rejects a
 * document whose key (any of its keys, for a multikey index over an array path such as
 * `audit.requestId`) another document already holds, unless a partial filter leaves either out;
 * and no index may have two array-valued fields in one document (parallel arrays). Missing
 * fields index as null, so two documents without the field collide in a non-partial unique
 * index, exactly as on the server. Non-unique indexes are otherwise not modeled (no TTL purge).
 * The _id index is the collection's own key (see collection-state.ts).
 */
export interface IndexSpec {
  name: string;
  /** Field to direction, in order. */
  key: Document;
  unique: boolean;
  partialFilterExpression?: Document;
}

export interface IndexSet {
  /** As createIndex: idempotent for the same spec; fails on existing duplicates or a conflicting spec. */
  add(spec: IndexSpec, docs: Iterable<[string, Document]>): void;
  /** Throws the server's error if storing `doc` under `id` would break an index. */
  check(id: string, doc: Document): void;
  /** Moves `id`'s keys from `previous` to `next` (either may be absent); call after check(). */
  put(id: string, previous: Document | undefined, next: Document | undefined): void;
  specs(): IndexSpec[];
}

/** Index specifications in any form the driver accepts ({a: 1}, "a", [["a", 1]], ["a", "b"]) as an ordered key document. */
export function normalizeKey(key: IndexSpecification): Document {
  if (typeof key === "string") return { [key]: 1 };
  if (key instanceof Map) return Object.fromEntries(key);
  if (Array.isArray(key)) {
    return Object.fromEntries(
      key.map((k) => (typeof k === "string" ? [k, 1] : Array.isArray(k) ? [k[0], k[1]] : Object.entries(k as unknown as Document)[0]!)),
    );
  }
  return { ...(key as Document) };
}

/** The server's default index name: `a_1_b_-1`. */
export const defaultIndexName = (key: Document) => Object.entries(key).map(([f, d]) => `${f}_${d}`).join("_");

const emptyArray = Symbol("empty array");

/** The values a document contributes at a dotted path, and whether an array was traversed. */
function valuesAt(doc: Document, path: string): { values: unknown[]; multikey: boolean } {
  const parts = path.split(".");
  const values: unknown[] = [];
  let multikey = false;
  const visit = (v: unknown, i: number) => {
    if (i === parts.length) {
      if (Array.isArray(v)) {
        multikey = true;
        // An empty array indexes as undefined, distinct from null (missing).
        if (v.length === 0) values.push(emptyArray);
        else values.push(...v);
      } else values.push(v === undefined ? null : v);
      return;
    }
    if (Array.isArray(v)) {
      multikey = true;
      // Each element contributes; one without the field contributes null.
      if (v.length === 0) values.push(null);
      for (const e of v) {
        if (isPlainDocument(e)) visit(e, i);
        else values.push(null);
      }
      return;
    }
    if (!isPlainDocument(v) || !Object.hasOwn(v, parts[i]!)) {
      values.push(null);
      return;
    }
    visit(v[parts[i]!], i + 1);
  };
  visit(doc, 0);
  return { values, multikey };
}

const keyString = (v: unknown) => (v === emptyArray ? "undefined" : indexKey(v));

interface Entry {
  spec: IndexSpec;
  fields: string[];
  partial?: Query;
  /** For unique indexes: key string to the id of the document holding it. */
  owners?: Map<string, string>;
}

export function createIndexSet(ns: string): IndexSet {
  const entries: Entry[] = [];

  /** Every key tuple `doc` contributes to `entry`, with the tuple as a keyValue document. */
  function keysOf(entry: Entry, doc: Document): { key: string; value: Document }[] {
    if (entry.partial && !entry.partial.test(doc)) return [];
    const perField = entry.fields.map((f) => valuesAt(doc, f));
    const arrays = entry.fields.filter((_, i) => perField[i]!.multikey);
    if (arrays.length > 1) throw parallelArraysError(arrays[0]!, arrays[1]!);
    let tuples: unknown[][] = [[]];
    for (const { values } of perField) tuples = tuples.flatMap((t) => values.map((v) => [...t, v]));
    const keys = new Map<string, Document>();
    for (const t of tuples) {
      const key = t.map(keyString).join("|");
      if (!keys.has(key)) keys.set(key, Object.fromEntries(entry.fields.map((f, i) => [f, t[i] === emptyArray ? undefined : t[i]])));
    }
    return [...keys].map(([key, value]) => ({ key, value }));
  }

  function check(id: string, doc: Document, only?: Entry) {
    for (const entry of only ? [only] : entries) {
      for (const { key, value } of keysOf(entry, doc)) {
        const owner = entry.owners?.get(key);
        if (owner !== undefined && owner !== id) throw duplicateKeyError(ns, entry.spec.name, entry.spec.key, value);
      }
    }
  }

  function put(id: string, previous: Document | undefined, next: Document | undefined, only?: Entry) {
    for (const entry of only ? [only] : entries) {
      if (!entry.owners) continue;
      if (previous) for (const { key } of keysOf(entry, previous)) if (entry.owners.get(key) === id) entry.owners.delete(key);
      if (next) for (const { key } of keysOf(entry, next)) entry.owners.set(key, id);
    }
  }

  const set: IndexSet = {
    add(spec, docs) {
      const same = entries.find((e) => e.spec.name === spec.name);
      if (same) {
        const identical = sameBson(same.spec.key, spec.key) && same.spec.unique === spec.unique && sameBson(same.spec.partialFilterExpression ?? null, spec.partialFilterExpression ?? null);
        if (identical) return;
        const keyDiffers = !sameBson(same.spec.key, spec.key);
        throw serverError(
          keyDiffers ? 86 : 85,
          keyDiffers ? "IndexKeySpecsConflict" : "IndexOptionsConflict",
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: { v: 2, key: ${JSON.stringify(spec.key)}, name: "${spec.name}" }, existing index: { v: 2, key: ${JSON.stringify(same.spec.key)}, name: "${same.spec.name}" }`,
        );
      }
      const entry: Entry = {
        spec,
        fields: Object.keys(spec.key),
        ...(spec.partialFilterExpression ? { partial: new Query(spec.partialFilterExpression) } : {}),
        ...(spec.unique ? { owners: new Map<string, string>() } : {}),
      };
      // Building over the existing documents fails as the server's index build does.
      for (const [id, doc] of docs) {
        check(id, doc, entry);
        put(id, undefined, doc, entry);
      }
      entries.push(entry);
    },
    check: (id, doc) => check(id, doc),
    put: (id, previous, next) => put(id, previous, next),
    specs: () => entries.map((e) => e.spec),
  };
  return set;
}
