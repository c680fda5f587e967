import type { Document } from "mongodb";
import { bsonTypeName, compareBson, copyValue, formatValue, isPlainDocument, numericValue, sameBson, type BsonOptions } from "./bson-values.js";
import {
  badValueError,
  conflictError,
  failedToParseError,
  immutableIdError,
  pathNotViableError,
  serverError,
  typeMismatchError,
} from "./server-errors.js";

/**
 * Update operators as the server applies them, and the updateDescription a change stream
 * reports for them. mingo 7 ships an updater (`update` from "mingo"), but it silently skips
 * what the server rejects ($push to a non-array, $inc of a string, $set through a scalar) and
 * has no $setOnInsert, so this is a small implementation of the operators the store may use.
 *
 * - Operators apply in path order (the server's update tree is sorted by field name), so new
 *   fields are appended in that order; existing fields keep their place.
 * - A modification that leaves the value binary-equal ($set to the same value, $inc by 0,
 *   $max below the current value, $addToSet of a present element) is a no-op and is not
 *   reported; an update of only no-ops is not a write at all (no oplog entry, modifiedCount 0).
 * - Reporting follows the server's v2 (5.0+) oplog deltas: the path as written for $set,
 *   $unset (removedFields), $inc, $max, $min; one `arr.<n>` entry per element a plain $push
 *   appends; the whole array for $push with $position/$slice and for $addToSet; and, when a
 *   path creates missing parents, the first created field with its whole new value.
 */
export interface UpdateOutcome {
  doc: Document;
  changed: boolean;
  updatedFields: Document;
  removedFields: string[];
}

const supported = new Set(["$set", "$unset", "$inc", "$push", "$addToSet", "$max", "$min", "$setOnInsert"]);

interface Op {
  op: string;
  path: string;
  parts: string[];
  arg: unknown;
}

const isIndex = (part: string) => /^(0|[1-9][0-9]*)$/.test(part);
const has = (parent: Document | unknown[], key: string) =>
  Array.isArray(parent) ? isIndex(key) && Number(key) < parent.length : Object.hasOwn(parent, key);
const get = (parent: Document | unknown[], key: string): unknown =>
  Array.isArray(parent) ? (isIndex(key) ? parent[Number(key)] : undefined) : Object.hasOwn(parent, key) ? parent[key] : undefined;

/** Sets parent[key], padding an array with nulls as the server does; says whether it padded. */
function put(parent: Document | unknown[], key: string, value: unknown): boolean {
  if (!Array.isArray(parent)) {
    parent[key] = value;
    return false;
  }
  const index = Number(key);
  const padded = index > parent.length;
  while (parent.length < index) parent.push(null);
  parent[index] = value;
  return padded;
}

interface Slot {
  parent: Document | unknown[];
  key: string;
  /** How many leading path components to report when the write created or padded a parent. */
  reportDepth?: number;
}

const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((p, i) => p === b[i]);

/** Sorts paths component by component, as the server's update tree orders its fields. */
function comparePaths(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

export function applyUpdate(original: Document, update: Document, opts: { inserting: boolean; bson: BsonOptions }): UpdateOutcome {
  const copy = <T>(v: T): T => copyValue(v, opts.bson);
  const doc = copy(original);
  const ops: Op[] = [];
  for (const [op, spec] of Object.entries(update)) {
    if (!supported.has(op)) {
      if (op.startsWith("$") && ["$rename", "$pull", "$pullAll", "$pop", "$mul", "$bit", "$currentDate"].includes(op)) {
        throw new Error(`fake-mongo: update operator ${op} is not modeled`);
      }
      throw failedToParseError(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainDocument(spec)) {
      throw failedToParseError(`Modifiers operate on fields but we found type ${bsonTypeName(spec)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatValue(spec)}}`);
    }
    for (const [path, arg] of Object.entries(spec)) {
      const parts = path.split(".");
      if (parts.some((p) => p === "")) throw serverError(56, "EmptyFieldName", `The update path '${path}' contains an empty field name, which is not allowed.`, { index: 0 });
      if (parts.some((p) => p.startsWith("$"))) throw new Error(`fake-mongo: positional update paths are not modeled (${path})`);
      ops.push({ op, path, parts, arg });
    }
  }
  for (let i = 0; i < ops.length; i++) {
    for (let j = i + 1; j < ops.length; j++) {
      const [a, b] = [ops[i]!, ops[j]!];
      if (isPrefix(a.parts, b.parts)) throw conflictError(b.path, a.path);
      if (isPrefix(b.parts, a.parts)) throw conflictError(a.path, b.path);
    }
  }
  ops.sort((a, b) => comparePaths(a.parts, b.parts));

  const reported: string[][] = [];
  const removedFields: string[] = [];
  const idText = () => formatValue(doc["_id"]);

  /** Where `parts` lives, creating missing parents when `create`; undefined if absent and not creating. */
  function slotFor(o: Op, create: boolean): Slot | undefined {
    const { parts } = o;
    let current: Document | unknown[] = doc;
    let reportDepth: number | undefined;
    const cannotCreate = (field: string, at: string, value: unknown) =>
      pathNotViableError(`Cannot create field '${field}' in element {${at}: ${formatValue(value)}}`);
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      if (Array.isArray(current) && !isIndex(part)) {
        if (!create) return undefined;
        throw cannotCreate(part, parts[i - 1]!, current);
      }
      let next = get(current, part);
      if (next === undefined) {
        if (!create) return undefined;
        next = {};
        const padded = put(current, part, next);
        reportDepth ??= padded ? i : i + 1;
      } else if (!isPlainDocument(next) && !Array.isArray(next)) {
        if (!create) return undefined;
        throw cannotCreate(parts[i + 1]!, part, next);
      }
      current = next as Document | unknown[];
    }
    const key = parts.at(-1)!;
    if (Array.isArray(current) && !isIndex(key)) {
      if (!create) return undefined;
      throw cannotCreate(key, parts.at(-2)!, current);
    }
    return { parent: current, key, ...(reportDepth !== undefined ? { reportDepth } : {}) };
  }

  function write(o: Op, slot: Slot, value: unknown) {
    const padded = put(slot.parent, slot.key, value);
    const depth = Math.min(slot.reportDepth ?? o.parts.length, padded ? o.parts.length - 1 : o.parts.length);
    reported.push(o.parts.slice(0, depth));
  }

  /** $push / $addToSet: the elements of `$each`, or the value itself. */
  function elementsOf(o: Op, allowed: string[]): { each: unknown[]; mods: Document } {
    const arg = o.arg;
    if (!isPlainDocument(arg) || !Object.hasOwn(arg, "$each")) return { each: [arg], mods: {} };
    for (const key of Object.keys(arg)) {
      if (key === "$sort") throw new Error(`fake-mongo: ${o.op} with $sort is not modeled`);
      if (!allowed.includes(key)) throw badValueError(`Unrecognized clause in ${o.op}: ${key}`);
    }
    const each = arg["$each"];
    if (!Array.isArray(each)) throw badValueError(`The argument to $each in ${o.op} must be an array but it was of type: ${bsonTypeName(each)}`);
    return { each, mods: arg };
  }

  for (const o of ops) {
    switch (o.op) {
      case "$setOnInsert":
      case "$set": {
        if (o.op === "$setOnInsert" && !opts.inserting) break;
        const slot = slotFor(o, true)!;
        if (has(slot.parent, slot.key) && sameBson(get(slot.parent, slot.key), o.arg)) break;
        write(o, slot, copy(o.arg));
        break;
      }
      case "$unset": {
        const slot = slotFor(o, false);
        if (!slot || !has(slot.parent, slot.key)) break;
        if (Array.isArray(slot.parent)) {
          // An array element is nulled, not removed, so other elements keep their positions.
          if (get(slot.parent, slot.key) === null) break;
          write(o, slot, null);
        } else {
          delete slot.parent[slot.key];
          removedFields.push(o.path);
        }
        break;
      }
      case "$inc": {
        const by = numericValue(o.arg);
        if (by === undefined) throw typeMismatchError(`Cannot increment with non-numeric argument: {${o.path}: ${formatValue(o.arg)}}`);
        const slot = slotFor(o, true)!;
        const current = get(slot.parent, slot.key);
        if (current === undefined) {
          write(o, slot, copy(o.arg));
          break;
        }
        const n = numericValue(current);
        if (n === undefined) {
          throw typeMismatchError(
            `Cannot apply $inc to a value of non-numeric type. {_id: ${idText()}} has the field '${slot.key}' of non-numeric type ${bsonTypeName(current)}`,
          );
        }
        const next = n + by;
        if (!sameBson(next, current)) write(o, slot, next);
        break;
      }
      case "$max":
      case "$min": {
        const slot = slotFor(o, true)!;
        const current = get(slot.parent, slot.key);
        const c = current === undefined ? undefined : compareBson(o.arg, current);
        if (c === undefined || (o.op === "$max" ? c > 0 : c < 0)) write(o, slot, copy(o.arg));
        break;
      }
      case "$push": {
        const { each, mods } = elementsOf(o, ["$each", "$position", "$slice"]);
        const position = mods["$position"] === undefined ? undefined : numericValue(mods["$position"]);
        const slice = mods["$slice"] === undefined ? undefined : numericValue(mods["$slice"]);
        if (mods["$position"] !== undefined && (position === undefined || !Number.isInteger(position))) throw badValueError(`The value for $position must be an integer value, not of type: ${bsonTypeName(mods["$position"])}`);
        if (mods["$slice"] !== undefined && (slice === undefined || !Number.isInteger(slice))) throw badValueError(`The value for $slice must be an integer value but was given type: ${bsonTypeName(mods["$slice"])}`);
        const slot = slotFor(o, true)!;
        const current = get(slot.parent, slot.key);
        if (current !== undefined && !Array.isArray(current)) {
          throw badValueError(`The field '${o.path}' must be an array but is of type ${bsonTypeName(current)} in document {_id: ${idText()}}`);
        }
        const existing = (current as unknown[] | undefined) ?? [];
        if (current !== undefined && position === undefined && slice === undefined) {
          // A plain append: the server logs each new element at its index.
          if (each.length === 0) break;
          const start = existing.length;
          existing.push(...each.map(copy));
          each.forEach((_, k) => reported.push([...o.parts, String(start + k)]));
          break;
        }
        const next = [...existing];
        const at = position === undefined ? next.length : position < 0 ? Math.max(0, next.length + position) : Math.min(position, next.length);
        next.splice(at, 0, ...each.map(copy));
        const sliced = slice === undefined ? next : slice >= 0 ? next.slice(0, slice) : next.slice(Math.max(0, next.length + slice));
        if (current !== undefined && sameBson(sliced, current)) break;
        write(o, slot, sliced);
        break;
      }
      case "$addToSet": {
        const { each } = elementsOf(o, ["$each"]);
        const slot = slotFor(o, true)!;
        const current = get(slot.parent, slot.key);
        if (current !== undefined && !Array.isArray(current)) {
          throw badValueError(`Cannot apply $addToSet to non-array field. Field named '${slot.key}' has non-array type ${bsonTypeName(current)}`);
        }
        const next = [...((current as unknown[] | undefined) ?? [])];
        for (const e of each) if (!next.some((x) => compareBson(x, e) === 0)) next.push(copy(e));
        if (current !== undefined && next.length === (current as unknown[]).length) break;
        write(o, slot, next);
        break;
      }
    }
  }

  if (Object.hasOwn(original, "_id") && (!Object.hasOwn(doc, "_id") || !sameBson(doc["_id"], original["_id"]))) {
    throw immutableIdError("Performing an update on the path '_id' would modify the immutable field '_id'");
  }

  // A path under another reported path is covered by it (two fields of one new parent).
  const paths = reported.filter((p, i) => !reported.some((q, j) => (j !== i && isPrefix(q, p) && (q.length < p.length || j < i))));
  const updatedFields: Document = {};
  for (const p of paths) {
    let v: unknown = doc;
    for (const part of p) v = get(v as Document | unknown[], part);
    updatedFields[p.join(".")] = copy(v);
  }
  return { doc, changed: paths.length > 0 || removedFields.length > 0, updatedFields, removedFields };
}
