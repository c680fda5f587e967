import { runAnalyses, type AnalysisRunOptions, defaultDisposableDomains } from "./analyzers.js";
import { verifyAuditChain } from "./audit.js";
import type { Clock } from "./clock.js";
import { redecide } from "./decision.js";
import { DomainError } from "./errors.js";
import { createExpiry } from "./expiry.js";
import type { IdGenerator } from "./ids.js";
import { acknowledge, completeInput, fail, needsAbandoning } from "./lifecycle.js";
import { requireEventRoom, requireRoomForRequest } from "./limits.js";
import type { Policies } from "./policy.js";
import { earlierRecord, findEarlierRequest, fingerprintOf, replayOrRefuse, type AuditedRequest, type RequestContext } from "./request-replay.js";
import { createRiskContext, lastDevice, type RiskContext } from "./risk-context.js";
import { sameAssessment } from "./risk.js";
import type { Acknowledgement, AuditRecord, Disposition, FailureReason, Session } from "./session.js";
import { DuplicateKeyError, type SessionQuery } from "./session-repository.js";
import { applySubmission, createSession, resolveSubmission, sealChange, submissionRequest, type SubmitCommand } from "./stitching.js";
import type { Store } from "./store.js";
import { defaultThresholds, type ThresholdValues } from "./thresholds.js";
import { parentRequest, syncToParent } from "./transfer-sync.js";
import { createWriteLoop } from "./write-loop.js";

export type { RequestContext } from "./request-replay.js";

export interface MutationResult {
  session: Session;
  requestId: string;
  replayed: boolean;
  /** What the request's audit record says it returned: a replay answers from the first call's record. */
  returned: Record<string, unknown>;
}

export interface SubmitResult extends MutationResult {
  disposition: Disposition;
}

export interface SessionView {
  session: Session;
  /** The session that replaced this one after it expired, if any. */
  replacedBy?: string;
}

export interface SessionUseCases {
  submit(cmd: Omit<SubmitCommand, "fingerprint">): Promise<SubmitResult>;
  acknowledge(ctx: RequestContext, sessionId: string, screenId: string, answer: Acknowledgement): Promise<MutationResult>;
  reportFailure(ctx: RequestContext, sessionId: string, reason: FailureReason, code: string): Promise<MutationResult>;
  /** Reads a session; an expired open session is failed as ABANDONED first (SPEC §2, "detected on access"). */
  get(tenantId: string, id: string): Promise<SessionView>;
  list(tenantId: string, query: SessionQuery): Promise<Session[]>;
  auditTrail(tenantId: string, id: string): Promise<{ records: AuditRecord[]; verified: boolean }>;
  /** Fails expired open sessions of every tenant as ABANDONED; returns how many this call closed. */
  sweepExpired(limit: number): Promise<number>;
  /**
   * The write path every other change goes through: replay by request id, expire-on-access,
   * room check, `change`, decision, audit, one version-guarded write; retried on conflicts.
   * `returned` is recorded in the audit record (a function sees the changed session).
   */
  mutate(
    ctx: RequestContext,
    sessionId: string,
    provided: Record<string, unknown>,
    change: Change,
    returned?: Record<string, unknown> | ((next: Session) => Record<string, unknown>),
  ): Promise<MutationResult>;
  readonly risk: RiskContext;
}

export type Change = (session: Session, now: Date) => Session | Promise<Session>;

export interface SessionDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  policies: Policies;
  /** Analyzers and their timeout; the warn threshold comes from the tenant's configuration. */
  analysis: Omit<AnalysisRunOptions, "warnThreshold">;
  /** Threshold defaults for tenants that have not configured their own. */
  thresholds?: ThresholdValues;
  disposableDomains?: ReadonlySet<string>;
}

function submitFingerprint(cmd: Omit<SubmitCommand, "fingerprint">): string {
  const { requestId: _r, clientRequestId: _c, principal: _p, tenantId: _t, ...content } = cmd;
  return fingerprintOf(content);
}

const maxSubmitAttempts = 16;

export function createSessionUseCases({ store, clock, ids, policies, analysis, thresholds, disposableDomains }: SessionDeps): SessionUseCases {
  const repo = store.sessions;
  const loop = createWriteLoop(repo);
  const expiry = createExpiry({ repo, clock, loop });
  const risk = createRiskContext({
    store,
    clock,
    defaults: thresholds ?? defaultThresholds,
    disposableDomains: disposableDomains ?? defaultDisposableDomains,
  });

  /**
   * The consequences of a submission: the risk assessment is recomputed from the data so far,
   * analyses run and screens appear once input is complete, and the decision follows.
   */
  async function afterSubmission(session: Session, complete: boolean): Promise<Session> {
    // A transferred session is a capture channel: its parent is analysed and decided, not it.
    if (session.parentSessionId) return complete ? completeInput(session, [], clock.now()) : session;
    const since = session.events.length;
    const config = await risk.configFor(session.tenantId);
    const assessed = await risk.assess(session, session.accountId, config);
    // The same assessment again keeps the session as it is, so the write sees the risk unchanged.
    let next: Session = session.risk && sameAssessment(session.risk, assessed) ? session : { ...session, risk: assessed };
    if (complete) {
      const device = lastDevice(next);
      const input = { workflow: next.workflow, market: next.market, identity: next.identity, ...(device ? { device } : {}) };
      let n = next.analyses.length;
      const warnThreshold = risk.thresholdsFor(config, next.market).warn;
      const results = await runAnalyses(input, { ...analysis, warnThreshold }, () => clock.now(), () => `a${++n}`);
      next = completeInput(next, results, clock.now());
    }
    return redecide(next, clock.now(), since);
  }

  async function create(cmd: SubmitCommand, disposition: Disposition, replaces?: string): Promise<SubmitResult> {
    const now = clock.now();
    const fresh = createSession(
      {
        tenantId: cmd.tenantId,
        id: ids.next(),
        workflow: cmd.workflow,
        market: cmd.market,
        origin: "SUBMISSION",
        policy: policies.lifetimeFor(cmd.workflow),
        ...(replaces ? { replaces } : {}),
      },
      now,
    );
    const changed = await afterSubmission(applySubmission(fresh, cmd, now), cmd.complete);
    requireEventRoom(changed);
    const session = sealChange(changed, submissionRequest(cmd), { disposition }, clock.now());
    await repo.insert(session);
    return { session, disposition, requestId: cmd.requestId, replayed: false, returned: session.audit.at(-1)!.returned };
  }

  function replayed(session: Session, record: AuditRecord): SubmitResult {
    return {
      session,
      disposition: record.returned["disposition"] as Disposition,
      requestId: record.requestId,
      replayed: true,
      returned: record.returned,
    };
  }

  /** A request id already used elsewhere in the tenant: replay that call, or refuse a different one. */
  async function replayFromStore(tenantId: string, requestId: string, request: Pick<AuditedRequest, "fingerprint" | "procedure">) {
    const earlier = await findEarlierRequest(store, tenantId, requestId, request);
    return earlier && replayed(earlier.owner, earlier.record);
  }

  /** `continueOnly` is for a transfer's sync: a parent that is gone or expired is never replaced by it. */
  async function submitTo(cmd: SubmitCommand, sessionId: string, continueOnly = false): Promise<SubmitResult> {
    return loop<SubmitResult>(cmd.tenantId, sessionId, async (existing, read) => {
      const resolution = resolveSubmission(existing, cmd, clock.now());
      if (resolution.kind === "replay" && !read.fresh) return { reread: true };
      if (continueOnly && resolution.kind.startsWith("replace")) {
        throw new DomainError("SESSION_CLOSED", "the parent session can no longer take submissions");
      }
      switch (resolution.kind) {
        case "replay":
          return { done: replayed(existing!, resolution.record) };
        case "replace-unknown":
          return { done: await create(cmd, "REPLACED_UNKNOWN") };
        case "replace-expired":
          try {
            return { done: await create(cmd, "REPLACED_EXPIRED", existing!.id) };
          } catch (e) {
            if (!(e instanceof DuplicateKeyError && e.key === "replaces")) throw e;
            // Another call replaced it first: continue that replacement instead (SPEC §1, concurrency).
            const replacement = await repo.findReplacement(cmd.tenantId, existing!.id);
            return { next: replacement?.id ?? existing!.id };
          }
        case "continue": {
          const changed = await afterSubmission(applySubmission(existing!, cmd, clock.now()), cmd.complete);
          requireEventRoom(changed);
          const next = sealChange(changed, submissionRequest(cmd), { disposition: "CONTINUED" }, clock.now());
          if (!(await repo.update(next, existing!))) return { next: existing!.id };
          return { done: { session: next, disposition: "CONTINUED" as const, requestId: cmd.requestId, replayed: false, returned: next.audit.at(-1)!.returned } };
        }
      }
    });
  }

  async function mutate(
    ctx: RequestContext,
    sessionId: string,
    provided: Record<string, unknown>,
    change: Change,
    returned: Record<string, unknown> | ((next: Session) => Record<string, unknown>) = {},
  ): Promise<MutationResult> {
    const request: AuditedRequest = {
      requestId: ctx.requestId,
      fingerprint: fingerprintOf({ sessionId, ...provided }),
      procedure: ctx.procedure,
      principal: ctx.principal,
      provided,
    };
    try {
      return await loop<MutationResult>(ctx.tenantId, sessionId, async (current, read) => {
        if (!current) throw new DomainError("SESSION_NOT_FOUND", "no such session");
        const earlier = earlierRecord(current, ctx);
        if (earlier) {
          replayOrRefuse(earlier, request);
          if (!read.fresh) return { reread: true };
          return { done: { session: current, requestId: ctx.requestId, replayed: true, returned: earlier.returned } };
        }
        const now = clock.now();
        if (needsAbandoning(current, now)) {
          if (!(await expiry.abandon(current))) return { next: sessionId };
          throw new DomainError("SESSION_CLOSED", "the session expired and was closed as abandoned");
        }
        requireRoomForRequest(current);
        const changed = redecide(await change(current, now), now, current.events.length);
        requireEventRoom(changed);
        const extra = typeof returned === "function" ? returned(changed) : returned;
        const next = sealChange(changed, request, { decision: changed.decision.decision, ...extra }, now);
        if (!(await repo.update(next, current))) return { next: sessionId };
        return { done: { session: next, requestId: ctx.requestId, replayed: false, returned: next.audit.at(-1)!.returned } };
      });
    } catch (e) {
      if (e instanceof DuplicateKeyError && e.key === "requestId") {
        const replay = await replayFromStore(ctx.tenantId, ctx.requestId, request);
        if (replay) return replay;
      }
      throw e;
    }
  }

  /** One attempt at a Submit, then the follow-ups that keep other sessions in step with it. */
  async function submitOnce(cmd: SubmitCommand): Promise<SubmitResult> {
    const result = cmd.sessionId === undefined ? await create(cmd, "CREATED") : await submitTo(cmd, cmd.sessionId);
    // Both follow-ups are idempotent and run on replays too, so a retry completes what a failed first call left undone.
    if (result.disposition === "REPLACED_EXPIRED" && cmd.sessionId !== undefined) {
      await expiry.markReplaced(cmd.tenantId, cmd.sessionId, result.session.id);
    }
    const parentId = result.session.parentSessionId;
    if (parentId) {
      const parentCtx = parentRequest(cmd, result.session);
      await syncToParent(() => submitTo({ ...cmd, ...parentCtx, sessionId: parentId }, parentId, true));
    }
    return result;
  }

  return {
    mutate,
    risk,
    async submit(input) {
      const cmd: SubmitCommand = { ...input, fingerprint: submitFingerprint(input) };
      for (let i = 0; i < maxSubmitAttempts; i++) {
        try {
          return await submitOnce(cmd);
        } catch (e) {
          if (!(e instanceof DuplicateKeyError)) throw e;
          if (e.key === "requestId") {
            const replay = await replayFromStore(cmd.tenantId, cmd.requestId, cmd);
            if (replay) return replay;
          }
          // A racing writer took the key; look again with fresh data.
        }
      }
      throw new DomainError("CONCURRENT_MODIFICATION", "the session kept changing concurrently; retry the request");
    },

    acknowledge(ctx, sessionId, screenId, answer) {
      return mutate(ctx, sessionId, { screenId, acknowledgement: answer }, (s, now) => acknowledge(s, screenId, answer, now));
    },

    reportFailure(ctx, sessionId, reason, code) {
      return mutate(ctx, sessionId, { reason, ...(code ? { failureCode: code } : {}) }, (s, now) => fail(s, reason, code, now));
    },

    async get(tenantId, id) {
      const read = await repo.get(tenantId, id);
      if (!read) throw new DomainError("SESSION_NOT_FOUND", "no such session");
      let session: Session = read;
      if (needsAbandoning(session, clock.now())) {
        session = await loop<Session>(tenantId, id, async (current) => {
          if (!current || !needsAbandoning(current, clock.now())) return { done: current ?? read };
          const closed = await expiry.abandon(current);
          return closed ? { done: closed } : { next: id };
        });
      }
      // Only an expired session can have been replaced, so skip the lookup otherwise.
      const expired = clock.now().getTime() >= session.expireTime.getTime();
      const replacement = expired ? await repo.findReplacement(tenantId, id) : undefined;
      return replacement ? { session, replacedBy: replacement.id } : { session };
    },

    list: (tenantId, query) => repo.list(tenantId, query),

    async auditTrail(tenantId, id) {
      const session = await repo.get(tenantId, id);
      if (!session) throw new DomainError("SESSION_NOT_FOUND", "no such session");
      return { records: session.audit, verified: verifyAuditChain(session.audit) };
    },

    sweepExpired: (limit) => expiry.sweep(limit),
  };
}
