/**
 * The history: every operation the workload and the final reads ran, with what they asked,
 * when, of which instance, and what came back. The checks look at nothing else (besides the
 * final state read through the RPCs), so a violation can always be explained from here.
 */

export type OpKind =
  | "Submit"
  | "CreateSession"
  | "ExchangeLinkToken"
  | "IssueLink"
  | "TransferSession"
  | "Acknowledge"
  | "ListWarningScreens"
  | "ReportCheckResult"
  | "AuthenticateSession"
  | "ReviewSession"
  | "ReportFailure"
  | "GetSession"
  | "GetOutcome"
  | "GetAuditTrail"
  | "ListSessions"
  | "ListBillableEvents"
  | "GetThresholds";

/**
 * How a request was sent, for the replay check: once; twice at once to two instances; again
 * after the first answered; cut off by the client and sent again until answered; or sent again
 * much later. `race` is two different requests on purpose (concurrent Submits to one expired id).
 */
export type Pattern = "once" | "concurrent" | "again" | "cut" | "late" | "race" | "final";

/** The key fields of an answer; enums by name. */
export interface Fields {
  sessionId?: string;
  disposition?: string;
  state?: string;
  version?: number;
  replayed?: boolean;
  expireMs?: number;
  checkId?: string;
  checkOutcome?: string;
  checkScore?: number;
  childId?: string;
  url?: string;
  decision?: string;
  reviewer?: string;
  accountId?: string;
  lastEventSequence?: number;
  clientTokenExpireMs?: number;
  screens?: string;
  inputComplete?: boolean;
  forcedRetries?: number;
  count?: number;
}

export type Result =
  | { ok: true; fields: Fields }
  | {
      ok: false;
      code: string;
      /** google.rpc.ErrorInfo reason from the error details, if any. */
      reason: string;
      message: string;
      /** The client cut the call off on purpose (pattern "cut"): no answer, not a refusal. */
      cut?: boolean;
    };

/**
 * What the actor's model predicts for a call, recorded before it is sent. The refusal check
 * compares the answer with it; an operation without an expectation is only checked for codes.
 */
export interface Expectation {
  /** "ok", or the refusal reason the model predicts (a probe of an invalid action). */
  outcome: "ok" | string;
  /** Acceptable dispositions of a Submit. */
  dispositions?: string[];
  /** The ReportCheckResult outcome the thresholds and the retry count so far give. */
  checkOutcome?: string;
  /** The state a read must show. */
  state?: string;
  /**
   * When the session expires (ms since the epoch). An answer that arrived at or after it may
   * reflect the expiry: SESSION_CLOSED, LINK_EXPIRED, REPLACED_EXPIRED, or a FAILED state.
   */
  expiresAt?: number;
  /** Refusals acceptable after expiry besides SESSION_CLOSED and LINK_EXPIRED. */
  afterExpiry?: string[];
  /** When the client token used expires: UNAUTHENTICATED is acceptable at or after it. */
  tokenExpiresAt?: number;
}

export interface Operation {
  id: number;
  kind: OpKind;
  /** Who ran it: an actor, "final" for the closing reads, or a subscriber. */
  actor: string;
  tenant: string;
  instance: number;
  protocol: string;
  /** The session the call names (the parent, for TransferSession). */
  sessionId?: string;
  requestId?: string;
  pattern: Pattern;
  /** Calls sent as one logical request (same request id, or one race) share a group. */
  group?: number;
  /** A short summary of what was sent. */
  request: Record<string, unknown>;
  /** Set when the client token, not the API key, authenticated the call. */
  clientToken?: boolean;
  invokeMs: number;
  completeMs?: number;
  result?: Result;
  expect?: Expectation;
}

/** One message a subscriber received, or how one of its streams ended. */
export type Delivery =
  | { kind: "event"; sessionId: string; sequence: number; cursor: string; type: string; atMs: number }
  | { kind: "heartbeat"; cursor: string; atMs: number };

export interface StreamSegment {
  startMs: number;
  instance: number;
  protocol: string;
  /** Where this stream asked to start: a sequence (WatchSession) or cursor; "" with fromBeginning; undefined for "now". */
  after?: string;
  fromBeginning?: boolean;
  deliveries: Delivery[];
  /** How the stream ended: "cut" when the subscriber dropped it on purpose, "end" when the server ended it, else the error. */
  end?: { how: "cut" | "end" | "error"; code?: string; reason?: string; message?: string; atMs: number };
}

/** One logical subscription: a chain of streams, each resuming where the previous left off. */
export interface Subscription {
  id: string;
  tenant: string;
  kind: "WatchSession" | "WatchEvents";
  sessionId?: string;
  filter?: { workflow?: string; types?: string[] };
  segments: StreamSegment[];
  /**
   * Why it ended: its session's terminal event (WatchSession), the subscriber moving on while the
   * workload ran, or the checker stopping it after the final catch-up. Only "stopped" ones are
   * expected to hold everything up to the final state; the others, a gap-free prefix of it.
   */
  closed?: { atMs: number; why: "terminal" | "moved-on" | "stopped" };
}

export interface History {
  readonly ops: Operation[];
  readonly subscriptions: Subscription[];
  readonly startMs: number;
  begin(op: Omit<Operation, "id" | "invokeMs">): Operation;
  end(op: Operation, result: Result): void;
  newGroup(): number;
  subscription(sub: Omit<Subscription, "segments">): Subscription;
}

export function createHistory(): History {
  const ops: Operation[] = [];
  const subscriptions: Subscription[] = [];
  let groups = 0;
  return {
    ops,
    subscriptions,
    startMs: Date.now(),
    begin(partial) {
      const op: Operation = { ...partial, id: ops.length + 1, invokeMs: Date.now() };
      ops.push(op);
      return op;
    },
    end(op, result) {
      op.completeMs = Date.now();
      op.result = result;
    },
    newGroup: () => ++groups,
    subscription(partial) {
      const sub: Subscription = { ...partial, segments: [] };
      subscriptions.push(sub);
      return sub;
    },
  };
}
