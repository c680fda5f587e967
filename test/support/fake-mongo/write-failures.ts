import type { Document } from "mongodb";

export type WriteCommand = "insertOne" | "insertMany" | "updateOne" | "updateMany" | "replaceOne" | "deleteOne" | "deleteMany";

/** A write as a failure rule sees it: what was sent, after the driver's serialization. */
export interface WriteOp {
  collection: string;
  command: WriteCommand;
  filter?: Document;
  /** The update document, or the replacement for replaceOne. */
  update?: Document;
  /** The documents of insertOne / insertMany. */
  documents?: Document[];
}

/**
 * A lost reply, for retry tests. "before-commit": the write never reaches the server and
 * changes nothing; "after-commit": it commits (or fails on the server) and the reply is lost.
 * Either way the caller gets a network error and cannot tell which happened, as in production.
 */
export interface WriteFailure {
  when: "before-commit" | "after-commit";
  /** How many matching writes fail; default 1. */
  count?: number;
  match?: (op: WriteOp) => boolean;
  /** Default: a MongoNetworkError. */
  error?: Error;
}

export interface WriteFailures {
  add(failure: WriteFailure): void;
  /** The failure the next write `op` suffers, consuming one of its count. */
  take(op: WriteOp): WriteFailure | undefined;
  clear(): void;
}

export function createWriteFailures(): WriteFailures {
  const rules: { failure: WriteFailure; left: number }[] = [];
  return {
    add(failure) {
      rules.push({ failure, left: failure.count ?? 1 });
    },
    take(op) {
      const rule = rules.find((r) => r.left > 0 && (r.failure.match?.(op) ?? true));
      if (!rule) return undefined;
      rule.left--;
      if (rule.left === 0) rules.splice(rules.indexOf(rule), 1);
      return rule.failure;
    },
    clear() {
      rules.length = 0;
    },
  };
}
