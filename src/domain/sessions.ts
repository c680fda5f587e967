import { findAuditByRequest, verifyAuditChain } from "./audit.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import { createKeyedLock } from "./keyed-lock.js";
import type { Policies } from "./policy.js";
import { isExpired, type AuditRecord, type Disposition, type Session } from "./session.js";
import { applySubmission, createSession, replayOrRefuse, resolveSubmission, type SubmitCommand } from "./stitching.js";
import { DuplicateKeyError, type SessionQuery, type Store } from "../store/store.js";

/** Optimistic writes retry on conflict; past this many, the caller gets ABORTED and may retry. */
const maxAttempts = 16;

export interface SubmitResult {
  session: Session;
  disposition: Disposition;
  requestId: string;
  replayed: boolean;
  replacedBy?: string;
}

export interface SessionView {
  session: Session;
  /** The session that replaced this one after it expired, if any. */
  replacedBy?: string;
}

export interface SessionUseCases {
  submit(cmd: Omit<SubmitCommand, "fingerprint">): Promise<SubmitResult>;
  get(tenantId: string, id: string): Promise<SessionView>;
  list(tenantId: string, query: SessionQuery): Promise<Session[]>;
  auditTrail(tenantId: string, id: string): Promise<{ records: AuditRecord[]; verified: boolean }>;
}

export interface SessionDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  policies: Policies;
}

/** The request as a retry would repeat it: everything but the request id. */
export function fingerprintOf(cmd: Omit<SubmitCommand, "fingerprint">): string {
  const { requestId: _r, clientRequestId: _c, principal: _p, tenantId: _t, ...content } = cmd;
  return sha256Hex(canonicalJson(content));
}

export function createSessionUseCases({ store, clock, ids, policies }: SessionDeps): SessionUseCases {
  const repo = store.sessions;
  const lock = createKeyedLock();

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
    const session = applySubmission(fresh, cmd, disposition, now);
    await repo.insert(session);
    return { session, disposition, requestId: cmd.requestId, replayed: false };
  }

  async function replay(session: Session, record: AuditRecord, cmd: SubmitCommand): Promise<SubmitResult> {
    replayOrRefuse(record, cmd);
    return {
      session,
      disposition: record.returned["disposition"] as Disposition,
      requestId: record.requestId,
      replayed: true,
    };
  }

  /** A request id already used elsewhere in the tenant: replay that call, or refuse a different one. */
  async function replayFromStore(cmd: SubmitCommand): Promise<SubmitResult | undefined> {
    const owner = await repo.findByRequestId(cmd.tenantId, cmd.requestId);
    const record = owner && findAuditByRequest(owner, cmd.requestId);
    return owner && record ? replay(owner, record, cmd) : undefined;
  }

  async function submitOnce(cmd: SubmitCommand, targetId: string | undefined, fresh: boolean) {
    if (targetId === undefined) return { done: await create(cmd, "CREATED") };
    const existing = fresh
      ? await repo.get(cmd.tenantId, targetId)
      : await repo.getForUpdate(cmd.tenantId, targetId);
    const resolution = resolveSubmission(existing, cmd, clock.now());
    switch (resolution.kind) {
      case "replay":
        return { done: await replay(existing!, resolution.record, cmd) };
      case "replace-unknown":
        return { done: await create(cmd, "REPLACED_UNKNOWN") };
      case "replace-expired":
        try {
          return { done: await create(cmd, "REPLACED_EXPIRED", targetId) };
        } catch (e) {
          if (!(e instanceof DuplicateKeyError && e.key === "replaces")) throw e;
          // Another call replaced it first: continue that replacement instead (SPEC §1, concurrency).
          const replacement = await repo.findReplacement(cmd.tenantId, targetId);
          return { next: replacement?.id ?? targetId };
        }
      case "continue": {
        const next = applySubmission(existing!, cmd, "CONTINUED", clock.now());
        if (await repo.update(next, existing!.version)) {
          return { done: { session: next, disposition: "CONTINUED" as const, requestId: cmd.requestId, replayed: false } };
        }
        return { next: targetId };
      }
    }
  }

  return {
    async submit(input) {
      const cmd: SubmitCommand = { ...input, fingerprint: fingerprintOf(input) };
      let targetId = cmd.sessionId;
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        try {
          const id = targetId;
          const step = id === undefined
            ? await submitOnce(cmd, id, false)
            : await lock.run(`${cmd.tenantId}|${id}`, () => submitOnce(cmd, id, attempt > 0));
          if (step.done) return step.done;
          // Lost a race with another replica (or followed a replacement): back off a little, with jitter.
          if (step.next === id) await sleep(Math.random() * 2 * attempt);
          targetId = step.next;
        } catch (e) {
          if (!(e instanceof DuplicateKeyError)) throw e;
          if (e.key === "requestId") {
            const replayed = await replayFromStore(cmd);
            if (replayed) return replayed;
          }
          // A racing writer took the key; look again with fresh data.
        }
      }
      throw new DomainError("CONCURRENT_MODIFICATION", "the session kept changing concurrently; retry the request");
    },

    async get(tenantId, id) {
      const session = await repo.get(tenantId, id);
      if (!session) throw new DomainError("SESSION_NOT_FOUND", "no such session");
      // Only an expired session can have been replaced, so skip the lookup otherwise.
      const replacement = isExpired(session, clock.now()) ? await repo.findReplacement(tenantId, id) : undefined;
      return replacement ? { session, replacedBy: replacement.id } : { session };
    },

    list: (tenantId, query) => repo.list(tenantId, query),

    async auditTrail(tenantId, id) {
      const session = await repo.get(tenantId, id);
      if (!session) throw new DomainError("SESSION_NOT_FOUND", "no such session");
      return { records: session.audit, verified: verifyAuditChain(session.audit) };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
