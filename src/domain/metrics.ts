import { closedStates, type CheckOutcome, type CheckType, type DecisionValue, type Session } from "./session.js";

/**
 * The operational metrics of seeds/seon-session-management.txt, defined once, per session.
 * Every store counts sessions by these definitions: the embedded store calls the functions
 * below, and the MongoDB store builds its aggregation pipeline from the same tables
 * (src/store/mongo/metrics-pipeline.ts); the store contract suite checks that both agree.
 */

/** Where a session's decision puts it; the classes partition the sessions counted. */
export const decisionClasses = [
  "approvedAutomatically",
  "approvedByReview",
  "declinedAutomatically",
  "declinedByReview",
  "inReview",
  "pending",
  "abandoned",
] as const;
export type DecisionClass = (typeof decisionClasses)[number];

/** What a decision class depends on: the decision, whether a reviewer set it, and whether the session is open past its expire time. */
export interface DecisionFacts {
  decision: DecisionValue;
  reviewed: boolean;
  expiredOpen: boolean;
}

/** One rule of the decision table: every condition it names must hold. */
export interface DecisionRule {
  reviewed?: boolean;
  expiredOpen?: boolean;
  decision?: DecisionValue;
  then: DecisionClass;
}

/**
 * The decision table, first match wins. A reviewer's verdict is final (as in decide()); a session
 * still open at or after its expire time is counted as the ABANDONED the expiry sweep will make
 * it, so the figures do not depend on when the sweep last ran.
 */
export const decisionRules: readonly DecisionRule[] = [
  { reviewed: true, decision: "APPROVE", then: "approvedByReview" },
  { reviewed: true, decision: "DECLINE", then: "declinedByReview" },
  { expiredOpen: true, then: "abandoned" },
  { decision: "APPROVE", then: "approvedAutomatically" },
  { decision: "DECLINE", then: "declinedAutomatically" },
  { decision: "REVIEW", then: "inReview" },
  { decision: "ABANDONED", then: "abandoned" },
];
/** The class of a session no rule matches: a PENDING decision. */
export const otherDecisions: DecisionClass = "pending";

export function decisionClassOf(facts: DecisionFacts): DecisionClass {
  for (const rule of decisionRules) {
    if (rule.reviewed !== undefined && rule.reviewed !== facts.reviewed) continue;
    if (rule.expiredOpen !== undefined && rule.expiredOpen !== facts.expiredOpen) continue;
    if (rule.decision !== undefined && rule.decision !== facts.decision) continue;
    return rule.then;
  }
  return otherDecisions;
}

/** The closed states, as the MongoDB pipeline needs them to tell an open session. */
export const closedStateList = [...closedStates];

export function decisionFactsOf(session: Session, now: Date): DecisionFacts {
  return {
    decision: session.decision.decision,
    reviewed: Boolean(session.decision.reviewer),
    expiredOpen: !closedStates.has(session.state) && now.getTime() >= session.expireTime.getTime(),
  };
}

/**
 * Which sessions are counted: one per journey. A transferred session is the only kind that does
 * not bill, and its check results and outcome are synced to the session it came from, so
 * counting it as well would count one journey twice.
 */
export function countedInMetrics(session: Pick<Session, "billable">): boolean {
  return session.billable;
}

export const checkTypes: readonly CheckType[] = ["LIVENESS", "FACE_MATCH", "DOCUMENT"];
export const checkOutcomes: readonly CheckOutcome[] = ["PASSED", "RETRY", "FAILED"];

/**
 * A tally is a fixed list of counters, summed over sessions: where each counter sits is given by
 * `counter`, and `counterNames` names them (the MongoDB pipeline's field names).
 */
export type Tally = number[];

const names: string[] = ["sessions", ...decisionClasses, "retriedSessions", "forcedRetries"];
const checkBase = names.length;
for (const type of checkTypes) names.push(...checkOutcomes.map((o) => `${type}_${o}`), `${type}_SESSIONS_FAILED`);
export const counterNames: readonly string[] = names;

const perCheck = checkOutcomes.length + 1;
export const counter = {
  sessions: 0,
  decision: (c: DecisionClass) => 1 + decisionClasses.indexOf(c),
  retriedSessions: 1 + decisionClasses.length,
  forcedRetries: 2 + decisionClasses.length,
  check: (type: CheckType, outcome: CheckOutcome) => checkBase + checkTypes.indexOf(type) * perCheck + checkOutcomes.indexOf(outcome),
  sessionsFailed: (type: CheckType) => checkBase + checkTypes.indexOf(type) * perCheck + checkOutcomes.length,
};

export const emptyTally = (): Tally => new Array<number>(counterNames.length).fill(0);

/**
 * Adds one session's contribution to each of `targets`: it counts once, in one decision class; it
 * is a retried session when any check forced a re-capture; each check result counts under its
 * type and outcome; and it counts once per check type that failed at least once.
 */
export function tallyInto(targets: readonly Tally[], session: Session, now: Date): void {
  bump(targets, counter.sessions, 1);
  bump(targets, counter.decision(decisionClassOf(decisionFactsOf(session, now))), 1);
  if (session.forcedRetries > 0) bump(targets, counter.retriedSessions, 1);
  bump(targets, counter.forcedRetries, session.forcedRetries);
  let failedTypes = 0; // one bit per check type
  for (const check of session.checks) {
    bump(targets, counter.check(check.type, check.outcome), 1);
    const bit = 1 << checkTypes.indexOf(check.type);
    if (check.outcome === "FAILED" && !(failedTypes & bit)) {
      failedTypes |= bit;
      bump(targets, counter.sessionsFailed(check.type), 1);
    }
  }
}

function bump(targets: readonly Tally[], i: number, n: number) {
  for (const t of targets) t[i]! += n;
}
