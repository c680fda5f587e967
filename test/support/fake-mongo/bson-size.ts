import { BSON, type Document } from "mongodb";
import type { BsonOptions } from "./bson-values.js";

/** The server's limit on one document (BSONObjMaxUserSize): 16 MiB, measured as serialized BSON. */
export const maxDocumentBytes = 16 * 1024 * 1024;

/**
 * The serialized size of a document, or of an array (encoded like a document keyed "0", "1", ...),
 * the way the driver measures what it sends and the server what it stores.
 */
export function bsonSize(value: Document | readonly unknown[] | undefined, opts: BsonOptions): number {
  if (value === undefined) return 0;
  return BSON.calculateObjectSize(value as Document, { ignoreUndefined: opts.ignoreUndefined });
}
