import type { Document } from "mongodb";
import { isPlainDocument } from "./bson-values.js";

/**
 * The document an operator-style upsert starts from when nothing matches: the filter's
 * equality conditions (`{a: v}`, `{a: {$eq: v}}`, inside `$and`, and a one-element `$in`,
 * which the server's planner rewrites to an equality), with dotted paths as nested fields.
 * The update (with $setOnInsert) is then applied to it. A replacement upsert takes only the
 * filter's _id (see replacementSeedId).
 */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  collect(filter, seed);
  return seed;
}

export function equalityOf(filter: Document, field: string): { value: unknown } | undefined {
  const seed = upsertSeed(filter);
  return Object.hasOwn(seed, field) ? { value: seed[field] } : undefined;
}

function collect(filter: Document, seed: Document) {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) collect(sub, seed);
      continue;
    }
    if (key.startsWith("$")) continue;
    if (cond instanceof RegExp) continue;
    if (isPlainDocument(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
      if (Object.hasOwn(cond, "$eq")) setPath(seed, key, cond["$eq"]);
      else if (Object.keys(cond).length === 1 && Array.isArray(cond["$in"]) && cond["$in"].length === 1 && !(cond["$in"][0] instanceof RegExp)) {
        setPath(seed, key, cond["$in"][0]);
      }
      continue;
    }
    setPath(seed, key, cond);
  }
}

function setPath(doc: Document, path: string, value: unknown) {
  const parts = path.split(".");
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainDocument(current[part])) current[part] = {};
    current = current[part] as Document;
  }
  current[parts.at(-1)!] = value;
}
