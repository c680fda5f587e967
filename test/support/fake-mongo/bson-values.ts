import { BSON, type Document } from "mongodb";

/**
 * Values as the server sees them. Everything the fake stores or hands out goes through a BSON
 * round trip, so a test sees what a real driver would: Dates stay Dates, ObjectIds stay
 * ObjectIds, class instances become plain documents, and `undefined` is dropped (the client in
 * src/store/mongo/connect.ts sets `ignoreUndefined`) or, inside arrays, becomes null.
 */
export interface BsonOptions {
  ignoreUndefined: boolean;
}

/** Wraps a value so any value (an array, a string) can be serialized as a document field. */
const box = (value: unknown, opts: BsonOptions) => BSON.serialize({ v: value }, { ignoreUndefined: opts.ignoreUndefined });

export function copyDocument<T extends Document>(doc: T, opts: BsonOptions): T {
  return BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: opts.ignoreUndefined })) as T;
}

export function copyValue<T>(value: T, opts: BsonOptions): T {
  return BSON.deserialize(box(value, opts))["v"] as T;
}

/** Binary equality, the test the server uses to call a modification a no-op: 1 and 1.5 differ, and so do int 1 and double 1. */
export function sameBson(a: unknown, b: unknown): boolean {
  return Buffer.compare(box(a, { ignoreUndefined: true }), box(b, { ignoreUndefined: true })) === 0;
}

const bsonType = (v: unknown): string | undefined =>
  v !== null && typeof v === "object" && "_bsontype" in v ? String((v as { _bsontype: unknown })._bsontype) : undefined;

/** A document the server would traverse with a dotted path (not a Date, ObjectId or other BSON scalar). */
export function isPlainDocument(v: unknown): v is Document {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp) && !(v instanceof Uint8Array) && bsonType(v) === undefined;
}

/** The BSON type name the server puts in its error messages. */
export function bsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 2 ** 31 && !Object.is(v, -0) ? "int" : "double";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "long";
  if (Array.isArray(v)) return "array";
  if (v instanceof Date) return "date";
  if (v instanceof RegExp) return "regex";
  const t = bsonType(v);
  if (t === "ObjectId") return "objectId";
  if (t === "Decimal128") return "decimal";
  if (t === "Binary") return "binData";
  if (t) return t.charAt(0).toLowerCase() + t.slice(1);
  return "object";
}

/** A JS number for the numeric BSON types ($inc, comparisons); undefined for anything else. */
export function numericValue(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  const t = bsonType(v);
  if (t === "Long") return (v as { toNumber(): number }).toNumber();
  if (t === "Int32" || t === "Double" || t === "Decimal128") return Number((v as { toString(): string }).toString());
  return undefined;
}

/** MongoDB's order of types when values of different types are compared (sort, $max, $min). */
function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 2;
  if (numericValue(v) !== undefined) return 3;
  if (typeof v === "string") return 4;
  if (Array.isArray(v)) return 6;
  if (typeof v === "boolean") return 9;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  switch (bsonType(v)) {
    case "MinKey":
      return 1;
    case "BSONSymbol":
      return 4;
    case "Binary":
      return 7;
    case "ObjectId":
      return 8;
    case "Timestamp":
      return 11;
    case "MaxKey":
      return 13;
    case undefined:
      return 5;
    default:
      return 5;
  }
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** The server's comparison of two BSON values: by type order, then within the type. */
export function compareBson(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return sign(ra - rb);
  switch (ra) {
    case 3:
      return sign(numericValue(a)! - numericValue(b)!);
    case 4:
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    case 5: {
      const ea = Object.entries(a as Document);
      const eb = Object.entries(b as Document);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const [ka, va] = ea[i]!;
        const [kb, vb] = eb[i]!;
        const byType = sign(typeRank(va) - typeRank(vb));
        if (byType) return byType;
        if (ka !== kb) return ka < kb ? -1 : 1;
        const byValue = compareBson(va, vb);
        if (byValue) return byValue;
      }
      return sign(ea.length - eb.length);
    }
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareBson(xa[i], xb[i]);
        if (c) return c;
      }
      return sign(xa.length - xb.length);
    }
    case 9:
      return sign(Number(a) - Number(b));
    case 10:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 11: {
      const ta = a as { t: number; i: number };
      const tb = b as { t: number; i: number };
      return sign(ta.t - tb.t) || sign(ta.i - tb.i);
    }
    default: {
      // ObjectId, binary data, regular expressions: their canonical bytes or text.
      const sa = indexKey(a);
      const sb = indexKey(b);
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    }
  }
}

/**
 * A string equal for exactly the values an index (or $addToSet) treats as equal: numbers by
 * value whatever their BSON type, documents field by field in order, missing and null alike.
 */
export function indexKey(v: unknown): string {
  if (v === null || v === undefined) return "null";
  const n = numericValue(v);
  if (n !== undefined) return `n:${Object.is(n, -0) ? 0 : n}`;
  if (typeof v === "string") return `s:${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `b:${v}`;
  if (v instanceof Date) return `d:${v.getTime()}`;
  if (v instanceof RegExp) return `re:${v.source}/${v.flags}`;
  if (Array.isArray(v)) return `[${v.map(indexKey).join(",")}]`;
  const t = bsonType(v);
  if (t === "ObjectId") return `oid:${(v as { toHexString(): string }).toHexString()}`;
  if (t === "Timestamp") return `ts:${(v as { t: number }).t}:${(v as { i: number }).i}`;
  if (t === "Binary") return `bin:${(v as { sub_type: number }).sub_type}:${(v as { toString(e: string): string }).toString("base64")}`;
  if (t) return `${t}:${String(v)}`;
  return `{${Object.entries(v as Document)
    .map(([k, x]) => `${JSON.stringify(k)}:${indexKey(x)}`)
    .join(",")}}`;
}

/** A value as the server prints it in error messages, e.g. `{ tenantId: "acme", audit.requestId: "r1" }`. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof RegExp) return String(v);
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(", ")} ]`;
  const t = bsonType(v);
  if (t === "ObjectId") return `ObjectId('${(v as { toHexString(): string }).toHexString()}')`;
  if (t === "Timestamp") return `Timestamp(${(v as { t: number }).t}, ${(v as { i: number }).i})`;
  if (t) return `${t}(${String(v)})`;
  const entries = Object.entries(v as Document);
  return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${formatValue(x)}`).join(", ")} }` : "{}";
}
