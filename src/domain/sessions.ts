import { randomUUID } from "node:crypto";
import { defaultDisposableDomains, runAnalyses, type AnalysisRunOptions } from "./analyzers.js";
import { findAuditByRequest, verifyAuditChain } from "./audit.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import { createKeyedLock } from "./keyed-lock.js";
import { applyDecision, decide } from "./decision.js";
import { acknowledge, completeInput, emit, fail, needsAbandoning } from "./lifecycle.js";
import { createRiskContext, lastDevice, type RiskContext } from "./risk-context.js";
import { defaultThresholds, type ThresholdValues } from "./thresholds.js";
import type { Policies } from "./policy.js";
import type { Acknowledgement, AuditRecord, Disposition, FailureReason, Session } from "./session.js";
import {
  applySubmission,
  createSession,
  replayOrRefuse,
  resolveSubmission,
  sealChange,
  submissionRequest,
  type AuditedRequest,
  type SubmitCommand,
} from "./stitching.js";
import { DuplicateKeyError, type SessionQuery, type Store } from "../store/store.js";

/** Optimistic writes retry on conflict; past this many, the caller gets ABORTED and may retry. */
const maxAttempts = 16;

/** Who did something to a session and with which request; every change carries one. */
export interface RequestContext {
  tenantId: string;
  principal: string;
  procedure: string;
  requestId: string;
  /** Set when the caller chose the request id; only then can a later call replay it. */
  clientRequestId: boolean;
}

export interface MutationResult {
  session: Session;
  requestId: string;
  replayed: boolean;
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
   * `change`, decision, audit, one version-guarded write; retried on conflicts.
   */
  mutate(
    ctx: RequestContext,
    sessionId: string,
    provided: Record<string, unknown>,
    change: Change,
    returned?: Record<string, unknown>,
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


/** The request as a retry would repeat it: everything but who sent it and its request id. */
export function fingerprintOf(content: unknown): string {
  return sha256Hex(canonicalJson(content));
}

function submitFingerprint(cmd: Omit<SubmitCommand, "fingerprint">): string {
  const { requestId: _r, clientRequestId: _c, principal: _p, tenantId: _t, ...content } = cmd;
  return fingerprintOf(content);
}

const expiryRequest = (): AuditedRequest => ({
  requestId: randomUUID(),
  fingerprint: "",
  procedure: "sessionflow/expire",
  principal: "system",
  provided: {},
});

/**
 * The session and audit record of an earlier call with this request id, if the tenant has one;
 * throws IDEMPOTENCY_KEY_REUSED when that call was a different request.
 */
export async function findEarlierRequest(
  store: Store,
  tenantId: string,
  requestId: string,
  request: Pick<AuditedRequest, "fingerprint" | "procedure">,
): Promise<{ owner: Session; record: AuditRecord } | undefined> {
  const owner = await store.sessions.findByRequestId(tenantId, requestId);
  const record = owner && findAuditByRequest(owner, requestId);
  if (!owner || !record) return undefined;
  replayOrRefuse(record, request);
  return { owner, record };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createSessionUseCases({ store, clock, ids, policies, analysis, thresholds, disposableDomains }: SessionDeps): SessionUseCases {
  const repo = store.sessions;
  const lock = createKeyedLock();
  const risk = createRiskContext({
    store,
    clock,
    defaults: thresholds ?? defaultThresholds,
    disposableDomains: disposableDomains ?? defaultDisposableDomains,
  });

  /** Recomputes the decision from what the session holds now; DECISION is emitted on change. */
  function redecide(session: Session, now: Date, since: number): Session {
    const version = session.risk?.configurationVersion ?? session.decision.configurationVersion;
    return applyDecision(session, decide(session, session.risk, version, now), now, since);
  }

  /**
   * The consequences of a submission: the risk assessment is recomputed from the data so far,
   * analyses run and screens appear once input is complete, and the decision follows.
   */
  async function afterSubmission(session: Session, complete: boolean): Promise<Session> {
    // A transferred session is a capture channel: its parent is analysed and decided, not it.
    if (session.parentSessionId) return complete ? completeInput(session, [], clock.now()) : session;
    const since = session.events.length;
    const config = await risk.configFor(session.tenantId);
    let next: Session = { ...session, risk: await risk.assess(session, session.accountId, config) };
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
    const session = sealChange(changed, submissionRequest(cmd), { disposition }, clock.now());
    await repo.insert(session);
    return { session, disposition, requestId: cmd.requestId, replayed: false };
  }

  function replayed(session: Session, record: AuditRecord): SubmitResult {
    return {
      session,
      disposition: record.returned["disposition"] as Disposition,
      requestId: record.requestId,
      replayed: true,
    };
  }

  /** A request id already used elsewhere in the tenant: replay that call, or refuse a different one. */
  async function replayFromStore(tenantId: string, requestId: string, request: Pick<AuditedRequest, "fingerprint" | "procedure">) {
    const earlier = await findEarlierRequest(store, tenantId, requestId, request);
    return earlier && replayed(earlier.owner, earlier.record);
  }

  /**
   * Writes `next` over `current` if nobody else has; a loser re-reads and tries again.
   * Writers in this process queue per session, so only other replicas cause retries.
   */
  async function retrying<T>(
    tenantId: string,
    sessionId: string,
    attempt: (current: Session | undefined, fresh: boolean) => Promise<{ done: T } | { next: string }>,
  ): Promise<T> {
    let target = sessionId;
    for (let i = 0; i < maxAttempts; i++) {
      const id = target;
      const step = await lock.run(`${tenantId}|${id}`, async () => {
        const current = i === 0 ? await repo.getForUpdate(tenantId, id) : await repo.get(tenantId, id);
        return attempt(current, i > 0);
      });
      if ("done" in step) return step.done;
      if (step.next === id) await sleep(Math.random() * 2 * i); // lost to another replica: jittered back-off
      target = step.next;
    }
    throw new DomainError("CONCURRENT_MODIFICATION", "the session kept changing concurrently; retry the request");
  }

  /** Closes an expired open session as ABANDONED; false if someone else changed it first. */
  async function abandon(current: Session): Promise<Session | undefined> {
    const now = clock.now();
    const next = sealChange(redecide(fail(current, "ABANDONED", "EXPIRED", now), now, current.events.length), expiryRequest(), {}, now);
    return (await repo.update(next, current)) ? next : undefined;
  }

  /** After a replacement exists, tell the expired session's watchers where the journey went. */
  async function markReplaced(tenantId: string, expiredId: string, replacementId: string): Promise<void> {
    await retrying<undefined>(tenantId, expiredId, async (current) => {
      if (!current || current.events.some((e) => e.type === "REPLACED")) return { done: undefined };
      const now = clock.now();
      let next = emit(current, "REPLACED", now, { relatedSessionId: replacementId });
      if (needsAbandoning(next, now)) next = redecide(fail(next, "ABANDONED", "EXPIRED", now), now, current.events.length);
      next = sealChange(next, expiryRequest(), { replacedBy: replacementId }, now);
      return (await repo.update(next, current)) ? { done: undefined } : { next: expiredId };
    });
  }

  async function submitTo(cmd: SubmitCommand, sessionId: string): Promise<SubmitResult> {
    return retrying<SubmitResult>(cmd.tenantId, sessionId, async (existing) => {
      const resolution = resolveSubmission(existing, cmd, clock.now());
      switch (resolution.kind) {
        case "replay":
          return { done: replayed(existing!, resolution.record) };
        case "replace-unknown":
          return { done: await create(cmd, "REPLACED_UNKNOWN") };
        case "replace-expired":
          try {
            const created = await create(cmd, "REPLACED_EXPIRED", existing!.id);
            return { done: created };
          } catch (e) {
            if (!(e instanceof DuplicateKeyError && e.key === "replaces")) throw e;
            // Another call replaced it first: continue that replacement instead (SPEC §1, concurrency).
            const replacement = await repo.findReplacement(cmd.tenantId, existing!.id);
            return { next: replacement?.id ?? existing!.id };
          }
        case "continue": {
          const changed = await afterSubmission(applySubmission(existing!, cmd, clock.now()), cmd.complete);
          const next = sealChange(changed, submissionRequest(cmd), { disposition: "CONTINUED" }, clock.now());
          if (!(await repo.update(next, existing!))) return { next: existing!.id };
          return { done: { session: next, disposition: "CONTINUED" as const, requestId: cmd.requestId, replayed: false } };
        }
      }
    });
  }

  /**
   * What a transferred session collects goes to its parent too, as the parent's own submission
   * (audited there, with its SUBMISSION event), so the desktop sees the phone's progress.
   */
  async function syncToParent(cmd: SubmitCommand, child: Session): Promise<void> {
    const parentId = child.parentSessionId!;
    const synced: SubmitCommand = {
      ...cmd,
      sessionId: parentId,
      principal: `transfer:${child.id}`,
      requestId: derivedRequestId(cmd.requestId, "sync"),
      clientRequestId: true,
    };
    try {
      await submitTo(synced, parentId);
    } catch (e) {
      // A parent that closed or completed meanwhile keeps what it has; the child keeps its record.
      if (!(e instanceof DomainError)) throw e;
    }
  }

  /** The shape of acknowledge and reportFailure: replay, expire-on-access, change, seal, write. */
  async function mutate(
    ctx: RequestContext,
    sessionId: string,
    provided: Record<string, unknown>,
    change: Change,
    returned: Record<string, unknown> = {},
  ): Promise<MutationResult> {
    const request: AuditedRequest = {
      requestId: ctx.requestId,
      fingerprint: fingerprintOf({ sessionId, ...provided }),
      procedure: ctx.procedure,
      principal: ctx.principal,
      provided,
    };
    try {
      return await retrying<MutationResult>(ctx.tenantId, sessionId, async (current) => {
        if (!current) throw new DomainError("SESSION_NOT_FOUND", "no such session");
        const earlier = ctx.clientRequestId ? findAuditByRequest(current, ctx.requestId) : undefined;
        if (earlier) {
          replayOrRefuse(earlier, request);
          return { done: { session: current, requestId: ctx.requestId, replayed: true } };
        }
        const now = clock.now();
        if (needsAbandoning(current, now)) {
          if (!(await abandon(current))) return { next: sessionId };
          throw new DomainError("SESSION_CLOSED", "the session expired and was closed as abandoned");
        }
        const changed = redecide(await change(current, now), now, current.events.length);
        const next = sealChange(changed, request, { decision: changed.decision.decision, ...returned }, now);
        if (!(await repo.update(next, current))) return { next: sessionId };
        return { done: { session: next, requestId: ctx.requestId, replayed: false } };
      });
    } catch (e) {
      if (e instanceof DuplicateKeyError && e.key === "requestId") {
        const replay = await replayFromStore(ctx.tenantId, ctx.requestId, request);
        if (replay) return replay;
      }
      throw e;
    }
  }

  return {
    mutate,
    risk,
    async submit(input) {
      const cmd: SubmitCommand = { ...input, fingerprint: submitFingerprint(input) };
      for (let i = 0; i < maxAttempts; i++) {
        try {
          if (cmd.sessionId === undefined) return await create(cmd, "CREATED");
          const result = await submitTo(cmd, cmd.sessionId);
          if (result.disposition === "REPLACED_EXPIRED" && !result.replayed) {
            await markReplaced(cmd.tenantId, cmd.sessionId, result.session.id);
          }
          if (result.session.parentSessionId && !result.replayed) await syncToParent(cmd, result.session);
          return result;
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
        session = await retrying<Session>(tenantId, id, async (current) => {
          if (!current || !needsAbandoning(current, clock.now())) return { done: current ?? read };
          const closed = await abandon(current);
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

    async sweepExpired(limit) {
      const expired = await repo.findExpiredOpen(clock.now(), limit);
      let closed = 0;
      for (const candidate of expired) {
        // Several replicas may sweep at once: the version check lets exactly one close each session.
        const current = await repo.get(candidate.tenantId, candidate.id);
        if (current && needsAbandoning(current, clock.now()) && (await abandon(current))) closed++;
      }
      return closed;
    },
  };
}

/** A request id derived from another, for the writes one request causes in other sessions. */
export function derivedRequestId(requestId: string, purpose: string): string {
  const h = sha256Hex(`${purpose}:${requestId}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
