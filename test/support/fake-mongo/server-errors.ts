import { MongoBulkWriteError, MongoNetworkError, MongoServerError, type Document } from "mongodb";
import { formatValue } from "./bson-values.js";
import { maxDocumentBytes } from "./bson-size.js";

/**
 * The errors a real server (and driver) raise where the store depends on them, with the same
 * classes, codes, code names and message shapes, so code that inspects `code`, `keyPattern` or
 * the message behaves as it would in production.
 */
export function serverError(code: number, codeName: string, errmsg: string, extra: Document = {}): MongoServerError {
  return new MongoServerError({ message: errmsg, errmsg, code, codeName, ...extra });
}

/** E11000, naming the namespace and the index, with the colliding key as the server reports it. */
export function duplicateKeyError(ns: string, index: string, keyPattern: Document, keyValue: Document): MongoServerError {
  const dup = Object.entries(keyValue)
    .map(([k, v]) => `${k}: ${formatValue(v)}`)
    .join(", ");
  return serverError(11000, "DuplicateKey", `E11000 duplicate key error collection: ${ns} index: ${index} dup key: { ${dup} }`, {
    index: 0,
    keyPattern,
    keyValue,
  });
}

/** An inserted document over 16 MiB (BSONObjectTooLarge). */
export function documentTooLargeError(size: number, doc: Document): MongoServerError {
  const [first] = Object.entries(doc);
  const firstElement = first ? `${first[0]}: ${formatValue(first[1])}` : "";
  return serverError(10334, "BSONObjectTooLarge", `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${maxDocumentBytes}(16MB) First element: ${firstElement}`);
}

/** An update, replacement or upsert whose resulting document would exceed 16 MiB. */
export const resultTooLargeError = () => serverError(17419, "Location17419", `Resulting document after update is larger than ${maxDocumentBytes}`, { index: 0 });

export const pathNotViableError = (message: string) => serverError(28, "PathNotViable", message, { index: 0 });
export const typeMismatchError = (message: string) => serverError(14, "TypeMismatch", message, { index: 0 });
export const badValueError = (message: string) => serverError(2, "BadValue", message, { index: 0 });
export const failedToParseError = (message: string) => serverError(9, "FailedToParse", message, { index: 0 });
export const conflictError = (path: string, at: string) =>
  serverError(40, "ConflictingUpdateOperators", `Updating the path '${path}' would create a conflict at '${at}'`, { index: 0 });
export const immutableIdError = (message: string) => serverError(66, "ImmutableField", message, { index: 0 });
export const parallelArraysError = (a: string, b: string) => serverError(171, "CannotIndexParallelArrays", `cannot index parallel arrays [${b}] [${a}]`, { index: 0 });

export const historyLostError = () =>
  serverError(286, "ChangeStreamHistoryLost", "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");
export const badResumeTokenError = (token: unknown) => serverError(280, "ChangeStreamFatalError", `Invalid resume token: ${formatValue(token)}`);

/** What a change stream sees when its connection drops: resumable, as the driver judges by code and label. */
export const hostUnreachableError = () =>
  serverError(6, "HostUnreachable", "connection to the server was lost (fake-mongo: injected)", { errorLabels: ["ResumableChangeStreamError"] });

/** A write whose reply never arrived: the caller cannot tell whether it committed. */
export const networkError = (when: string) => new MongoNetworkError(`connection 1 to 127.0.0.1:27017 closed (fake-mongo: injected ${when})`);

export interface WriteErrorInfo {
  index: number;
  code: number;
  errmsg: string;
  error: MongoServerError;
}

/**
 * insertMany goes through the driver's bulk API, so it fails with a MongoBulkWriteError whose
 * `writeErrors` are WriteError-like objects ({ index, code, errmsg }), whatever `ordered` is.
 * The driver's BulkWriteResult class is not exported, so the result is a plain object with its fields.
 */
export function bulkWriteError(writeErrors: WriteErrorInfo[], insertedIds: { index: number; _id: unknown }[]): MongoBulkWriteError {
  const [first] = writeErrors;
  const errors = writeErrors.map((w) => ({
    index: w.index,
    code: w.code,
    errmsg: w.errmsg,
    errInfo: undefined,
    err: { index: w.index, code: w.code, errmsg: w.errmsg, keyPattern: w.error["keyPattern"], keyValue: w.error["keyValue"] },
    getOperation: () => undefined,
  }));
  const result = {
    ok: 1,
    insertedCount: insertedIds.length,
    matchedCount: 0,
    modifiedCount: 0,
    deletedCount: 0,
    upsertedCount: 0,
    upsertedIds: {},
    insertedIds: Object.fromEntries(insertedIds.map((x) => [x.index, x._id])),
    hasWriteErrors: () => errors.length > 0,
    getWriteErrors: () => errors,
  };
  return new MongoBulkWriteError(
    { message: first?.errmsg ?? "write operation failed", code: first?.code ?? 0, writeErrors: errors as never },
    result as never,
  );
}
