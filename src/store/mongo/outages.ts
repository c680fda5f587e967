import { MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from "mongodb";
import { StoreUnavailableError } from "../../domain/store.js";
import { wrapMethods } from "../../domain/wrap-methods.js";

/**
 * Whether a driver error means the database did not answer, rather than that it refused: the
 * network failed or timed out, no server could be selected, or a primary stepped down mid-call
 * (the server labels such errors retryable).
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoNotConnectedError || error instanceof MongoTopologyClosedError) return true;
  return error instanceof MongoError && (error.hasErrorLabel("RetryableWriteError") || error.hasErrorLabel("ResetPool"));
}

/**
 * The repository `repository` with every outage its methods meet turned into the domain's
 * StoreUnavailableError, so callers hear UNAVAILABLE and retry instead of INTERNAL; the
 * driver's message, which names hosts, stays out of the answer.
 */
export function withOutages<T extends object>(name: string, repository: T): T {
  return wrapMethods(repository, (method, call) => (...args: never[]) => {
    const result = call(...args);
    if (!(result instanceof Promise)) return result;
    return result.catch((e: unknown) => {
      throw isOutage(e) ? Object.assign(new StoreUnavailableError(`${name}.${method}`), { cause: e }) : e;
    });
  });
}
