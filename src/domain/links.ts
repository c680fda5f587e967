import QRCode from "qrcode";
import type { Clock } from "./clock.js";
import { DomainError, invalid } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import { emit, needsAbandoning } from "./lifecycle.js";
import type { Policies } from "./policy.js";
import { isClosed, type Session } from "./session.js";
import { requireRoomFor, requireRoomForRequest } from "./limits.js";
import { derivedRequestId, findEarlierRequest, fingerprintOf, type RequestContext } from "./request-replay.js";
import type { SessionUseCases } from "./sessions.js";
import { createSession, sealChange } from "./stitching.js";
import type { TokenService } from "./tokens.js";
import { syncToParent } from "./transfer-sync.js";
import { DuplicateKeyError, type Store } from "./store.js";

export interface LinkDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  policies: Policies;
  tokens: TokenService;
  sessions: SessionUseCases;
  /** Where front ends live: links are {publicBaseUrl}/s/{token}. */
  publicBaseUrl: string;
  clientTokenTtlMs: number;
}

export interface CreateInput {
  workflow: string;
  market: string;
  reference: string;
  lifetimeSeconds?: number;
}

export interface Exchanged {
  clientToken: string;
  clientTokenExpireTime: Date;
  session: Session;
}

export interface LinkUseCases {
  create(ctx: RequestContext, input: CreateInput): Promise<{ session: Session; url: string }>;
  issueLink(ctx: RequestContext, sessionId: string): Promise<{ url: string }>;
  exchange(linkToken: string): Promise<Exchanged>;
  transfer(ctx: RequestContext, sessionId: string): Promise<{ child: Session; url: string; qrCodeSvg: string }>;
}

/** SPEC §4: pre-initialized sessions, links, client tokens, saved progress and transfer. */
export function createLinkUseCases(deps: LinkDeps): LinkUseCases {
  const { store, clock, ids, policies, tokens, sessions } = deps;
  const base = deps.publicBaseUrl.replace(/\/+$/, "");
  const urlFor = (s: Pick<Session, "tenantId" | "id" | "linkVersion" | "linkTokenHash">) =>
    `${base}/s/${tokens.linkToken(s.tenantId, s.id, s.linkVersion, s.linkTokenHash)}`;
  const withLink = (s: Session, version: number): Session => ({
    ...s,
    linkVersion: version,
    linkTokenHash: tokens.linkTokenHash(tokens.linkToken(s.tenantId, s.id, version)),
  });

  /** A retried request: the session it made, and its link, which is reproducible. */
  const replayed = (ctx: RequestContext, fingerprint: string) =>
    ctx.clientRequestId ? findEarlierRequest(store, ctx.tenantId, ctx.requestId, { fingerprint, procedure: ctx.procedure }) : undefined;

  return {
    async create(ctx, input) {
      const policy = policies.lifetimeFor(input.workflow);
      if (input.lifetimeSeconds !== undefined && input.lifetimeSeconds > policy.linkSeconds) {
        throw invalid([{ field: "lifetime", description: `must be at most ${policy.linkSeconds} seconds for this workflow` }]);
      }
      const fingerprint = fingerprintOf(input);
      const earlier = await replayed(ctx, fingerprint);
      if (earlier) return { session: earlier.owner, url: urlFor(earlier.owner) };
      const now = clock.now();
      let session = createSession({ tenantId: ctx.tenantId, id: ids.next(), workflow: input.workflow, market: input.market, origin: "LINK", policy }, now);
      if (input.lifetimeSeconds !== undefined) session.expireTime = new Date(now.getTime() + input.lifetimeSeconds * 1000);
      session = withLink({ ...session, reference: input.reference }, 1);
      session = sealChange(session, { requestId: ctx.requestId, fingerprint, procedure: ctx.procedure, principal: ctx.principal, provided: { ...input } }, {}, now);
      try {
        await store.sessions.insert(session);
      } catch (e) {
        if (e instanceof DuplicateKeyError && e.key === "requestId") {
          const again = await replayed(ctx, fingerprint);
          if (again) return { session: again.owner, url: urlFor(again.owner) };
        }
        throw e;
      }
      return { session, url: urlFor(session) };
    },

    async issueLink(ctx, sessionId) {
      const result = await sessions.mutate(
        ctx,
        sessionId,
        { newLink: true },
        (s) => {
          if (isClosed(s)) throw new DomainError("SESSION_CLOSED", "the session is closed; it needs no link");
          requireRoomFor(s, "links");
          return withLink(s, s.linkVersion + 1);
        },
        // The version names the link this request made, so a retry answers with that link even
        // after a later IssueLink replaced it; the token itself is never stored.
        (next) => ({ linkVersion: next.linkVersion }),
      );
      const version = result.returned["linkVersion"];
      if (typeof version !== "number" || version === result.session.linkVersion) return { url: urlFor(result.session) };
      return { url: `${base}/s/${tokens.linkToken(result.session.tenantId, result.session.id, version)}` };
    },

    async exchange(linkToken) {
      const found = await store.sessions.findByLinkTokenHash(tokens.linkTokenHash(linkToken));
      if (!found) throw new DomainError("LINK_INVALID", "the link is unknown or was replaced by a newer one");
      const now = clock.now();
      if (now.getTime() >= found.expireTime.getTime()) {
        // Reading through get() fails a session that expired unnoticed, so its watchers hear of it.
        if (needsAbandoning(found, now)) await sessions.get(found.tenantId, found.id);
        throw new DomainError("LINK_EXPIRED", "the link's session has expired");
      }
      const session = found;
      if (session.parentSessionId) await announceTransfer(session);
      // Whole seconds, as the token carries its expiry (a JWT NumericDate): the time the front
      // end is told is the time the token stops working.
      const clientTokenExpireTime = new Date(Math.floor(Math.min(now.getTime() + deps.clientTokenTtlMs, session.expireTime.getTime()) / 1000) * 1000);
      return {
        clientToken: await tokens.clientToken({ tenantId: session.tenantId, sessionId: session.id, expireTime: clientTokenExpireTime }),
        clientTokenExpireTime,
        session,
      };
    },

    async transfer(ctx, sessionId) {
      const fingerprint = fingerprintOf({ sessionId });
      const answer = async (child: Session) => ({ child, url: urlFor(child), qrCodeSvg: await qr(urlFor(child)) });
      // A retry of a finished transfer: the parent's record names the child it made.
      const earlier = await replayed(ctx, fingerprint);
      if (earlier) {
        const child = await store.sessions.get(ctx.tenantId, String(earlier.record.returned["childSessionId"]));
        if (child) return answer(child);
      }
      const parent = (await sessions.get(ctx.tenantId, sessionId)).session;
      requireTransferable(parent);
      requireRoomForRequest(parent);
      // The child, then the parent's record of it: two writes, each idempotent by a request id
      // derived from this one, so a retry after a failure in between (or a concurrent retry)
      // finds the same child and completes the parent's half instead of making a second child.
      const child = await childOf(ctx, parent, fingerprint);
      await sessions.mutate(
        ctx,
        sessionId,
        { sessionId },
        (s) => {
          requireTransferable(s);
          return s;
        },
        { childSessionId: child.id },
      );
      return answer(child);
    },
  };

  function requireTransferable(parent: Session) {
    if (isClosed(parent)) throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
    if (parent.inputComplete) throw new DomainError("INPUT_COMPLETE", "the session's input is complete; there is nothing left to capture");
  }

  /** The transfer's child session: the one an earlier attempt of this request made, or a new one. */
  async function childOf(ctx: RequestContext, parent: Session, fingerprint: string): Promise<Session> {
    const request = { requestId: derivedRequestId(ctx.requestId, "transfer-child"), fingerprint, procedure: ctx.procedure };
    const made = () => (ctx.clientRequestId ? findEarlierRequest(store, ctx.tenantId, request.requestId, request) : undefined);
    const earlier = await made();
    if (earlier) return earlier.owner;
    const now = clock.now();
    let child = createSession(
      { tenantId: ctx.tenantId, id: ids.next(), workflow: parent.workflow, market: parent.market, origin: "TRANSFER", policy: policies.lifetimeFor(parent.workflow), billable: false },
      now,
    );
    // The child resumes where the parent is; it holds no copy of the parent's personal data.
    child = withLink({ ...child, parentSessionId: parent.id, reference: parent.reference, currentStep: parent.currentStep, completedSteps: [...parent.completedSteps] }, 1);
    child = sealChange(child, { ...request, principal: ctx.principal, provided: { parentSessionId: parent.id } }, {}, now);
    try {
      await store.sessions.insert(child);
      return child;
    } catch (e) {
      // A concurrent retry of the same request made the child first: use that one.
      const raced = e instanceof DuplicateKeyError && e.key === "requestId" ? await made() : undefined;
      if (raced) return raced.owner;
      throw e;
    }
  }

  /** The parent hears TRANSFERRED once, when the child's link is first opened. */
  async function announceTransfer(child: Session) {
    const ctx: RequestContext = {
      tenantId: child.tenantId,
      principal: `transfer:${child.id}`,
      procedure: "sessionflow/transfer-start",
      requestId: derivedRequestId(child.id, "transfer-start"),
      clientRequestId: true,
    };
    // A parent that closed meanwhile needs no announcement; the child still works.
    await syncToParent(() =>
      sessions.mutate(ctx, child.parentSessionId!, { childSessionId: child.id }, (s, now) => emit(s, "TRANSFERRED", now, { relatedSessionId: child.id })),
    );
  }
}

function qr(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
}
