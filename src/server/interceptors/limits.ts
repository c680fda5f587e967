import { setTimeout as sleep } from "node:timers/promises";
import type { ConnectError, Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { workCharged } from "../../domain/call-scope.js";
import { DomainError, type ErrorReason } from "../../domain/errors.js";
import { connectErrorOf } from "../../service/connect-errors.js";
import { principalKey } from "../../service/context.js";
import { Health } from "../../../gen/health/v1/health_pb.js";
import { busyRetryMs, createBudgets, type Admission, type Budgets, type Refused } from "../budgets.js";
import { nextOf } from "./next-call.js";
import type { CallLimits } from "../call-limits.js";

/** Tenants and client tokens whose budgets are remembered; beyond these the least recently seen is forgotten. */
const maxTenants = 10_000;
const maxClients = 100_000;

/** Reads that scan many sessions or revisions cost this many calls' worth of a budget. */
const scanCost = 10;
const scans = new Set([
  "sessionflow.v1.SessionService/ListSessions",
  "sessionflow.v1.BillingService/ListBillableEvents",
  "sessionflow.v1.BillingService/GetUsage",
  "sessionflow.v1.MetricsService/GetMetrics",
  "sessionflow.v1.ConfigurationService/ListThresholdRevisions",
]);

/**
 * Spends each call against its caller's budget (calls per second and calls in progress), so
 * one tenant cannot crowd out the others, and caps calls in progress per process. A unary
 * call also spends the work it was charged while it ran (sessions scanned, large answers), so
 * a budget bounds event-loop time, not only a count of calls; this interceptor therefore runs
 * inside the call scope the deadline interceptor opens. A front end's
 * client token has a budget of its own, per session, and never spends its tenant's: a busy front
 * end cannot lock its backends out. Streams spend rate only; the event hub caps how many stay open.
 * Runs after authentication, which names the caller; unauthenticated calls meet the process cap only.
 *
 * A refused caller that calls again before the time its RetryInfo gave it is held until then
 * (at most maxHoldMs, and at most maxHeld calls per process) and tried once more: a client that
 * never backs off then makes a call per retry delay, instead of a refusal per round trip, each of
 * which costs the event loop other tenants share. A caller that waited is answered at once.
 */
export function createLimitsInterceptor(limits: CallLimits, now: () => number = () => performance.now()): Interceptor {
  const tenants = createBudgets(limits.tenant, maxTenants);
  const clients = createBudgets(limits.client, maxClients);
  let calls = 0;
  let held = 0;
  // Not an async function: a call let through at once awaits nothing here (see next-call.ts).
  return (next) => (req) => {
    // Health checks answer from memory, and must keep answering when the process is busiest.
    if (req.service.typeName === Health.typeName) return next(req);
    const holds = !req.stream;
    if (holds && calls >= limits.maxCalls) {
      return Promise.reject(limited("OVERLOADED", "this replica has as many calls in progress as it accepts; retry after the RetryInfo delay", busyRetryMs, "process_calls"));
    }
    const principal = req.contextValues.get(principalKey);
    // An unauthenticated call spends no budget.
    if (!principal) return proceed(next, req, holds, releaseNothing);
    const client = principal.sessionId !== undefined;
    const caller: Caller = {
      key: client ? `${principal.tenantId}|${principal.sessionId}` : principal.tenantId,
      cost: scans.has(`${req.service.typeName}/${req.method.name}`) ? scanCost : 1,
      budgets: client ? clients : tenants,
      who: client ? "client" : "tenant",
    };
    const admission = caller.budgets.admit(caller.key, caller.cost, holds, now());
    return "refused" in admission ? afterRefusal(next, req, holds, caller, admission) : proceed(next, req, holds, admission.release);
  };

  /** A refused caller back early waits out the time it was given, then tries once more. */
  async function afterRefusal(next: Next, req: UnaryRequest | StreamRequest, holds: boolean, caller: Caller, refused: Refused) {
    let admission: Admission = refused;
    if (refused.earlyMs > 0 && held < maxHeld) {
      held++;
      try {
        // Ends early, without error, once the caller goes away or its deadline passes.
        await sleep(Math.min(refused.earlyMs, maxHoldMs), undefined, { signal: req.signal }).catch(() => {});
      } finally {
        held--;
      }
      admission = caller.budgets.admit(caller.key, caller.cost, holds, now());
    }
    if ("refused" in admission) {
      const what = admission.refused === "rate" ? "calls per second" : "calls in progress";
      throw limited("RATE_LIMITED", `the ${caller.who}'s ${what} are used up; retry after the RetryInfo delay`, admission.retryAfterMs, `${caller.who}_${admission.refused}`);
    }
    return proceed(next, req, holds, admission.release);
  }

  /** Runs a call let through, counting it in progress, and spends the work it was charged when it ends. */
  function proceed(next: Next, req: UnaryRequest | StreamRequest, holds: boolean, release: (work?: number) => void) {
    if (!holds) return next(req);
    calls++;
    return nextOf(next, req).then(
      (res) => {
        ended(release);
        return res;
      },
      (e: unknown) => {
        ended(release);
        throw e;
      },
    );
  }

  /** A call in progress has ended: it spends the work it was charged. */
  function ended(release: (work?: number) => void): void {
    calls--;
    release(workCharged());
  }
}

type Next = Parameters<Interceptor>[0];

/** Whose budget a call spends, and how much of it. */
interface Caller {
  key: string;
  cost: number;
  budgets: Budgets;
  who: "client" | "tenant";
}

/** What an unauthenticated call releases: it spent no budget. */
function releaseNothing(): void {}

/** The longest a call is held for coming back early, and how many may be held at once. */
const maxHoldMs = 1_000;
const maxHeld = 1_000;

/** RESOURCE_EXHAUSTED with its catalog reason, the budget in ErrorInfo.metadata["limit"], and when to retry. */
function limited(reason: ErrorReason, message: string, retryAfterMs: number, limit: string): ConnectError {
  return connectErrorOf(new DomainError(reason, message, [], { limit }, retryAfterMs));
}
