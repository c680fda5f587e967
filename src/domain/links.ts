import QRCode from "qrcode";
import type { Clock } from "./clock.js";
import { DomainError, invalid } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import { emit, needsAbandoning } from "./lifecycle.js";
import type { Policies } from "./policy.js";
import { isClosed, type Session } from "./session.js";
import { derivedRequestId, findEarlierRequest, fingerprintOf, type RequestContext, type SessionUseCases } from "./sessions.js";
import { createSession, sealChange } from "./stitching.js";
import type { TokenService } from "./tokens.js";
import { DuplicateKeyError, type Store } from "../store/store.js";

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
  const urlFor = (s: Pick<Session, "tenantId" | "id" | "linkVersion">) => `${base}/s/${tokens.linkToken(s.tenantId, s.id, s.linkVersion)}`;
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
      const result = await sessions.mutate(ctx, sessionId, { newLink: true }, (s) => {
        if (isClosed(s)) throw new DomainError("SESSION_CLOSED", "the session is closed; it needs no link");
        return withLink(s, s.linkVersion + 1);
      });
      return { url: urlFor(result.session) };
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
      const clientTokenExpireTime = new Date(Math.min(now.getTime() + deps.clientTokenTtlMs, session.expireTime.getTime()));
      return {
        clientToken: tokens.clientToken({ tenantId: session.tenantId, sessionId: session.id, expireTime: clientTokenExpireTime }),
        clientTokenExpireTime,
        session,
      };
    },

    async transfer(ctx, sessionId) {
      const earlier = await replayed(ctx, fingerprintOf({ sessionId }));
      if (earlier) {
        const child = await store.sessions.get(ctx.tenantId, String(earlier.record.returned["childSessionId"]));
        if (child) return { child, url: urlFor(child), qrCodeSvg: await qr(urlFor(child)) };
      }
      const parent = (await sessions.get(ctx.tenantId, sessionId)).session;
      if (isClosed(parent)) throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
      if (parent.inputComplete) throw new DomainError("INPUT_COMPLETE", "the session's input is complete; there is nothing left to capture");
      const now = clock.now();
      let child = createSession(
        { tenantId: ctx.tenantId, id: ids.next(), workflow: parent.workflow, market: parent.market, origin: "TRANSFER", policy: policies.lifetimeFor(parent.workflow), billable: false },
        now,
      );
      // The child resumes where the parent is; it holds no copy of the parent's personal data.
      child = withLink({ ...child, parentSessionId: parent.id, reference: parent.reference, currentStep: parent.currentStep, completedSteps: [...parent.completedSteps] }, 1);
      child = sealChange(
        child,
        { requestId: derivedRequestId(ctx.requestId, "transfer-child"), fingerprint: "", procedure: ctx.procedure, principal: ctx.principal, provided: { parentSessionId: parent.id } },
        {},
        now,
      );
      await store.sessions.insert(child);
      await sessions.mutate(ctx, sessionId, { sessionId }, (s) => s, { childSessionId: child.id });
      return { child, url: urlFor(child), qrCodeSvg: await qr(urlFor(child)) };
    },
  };

  /** The parent hears TRANSFERRED once, when the child's link is first opened. */
  async function announceTransfer(child: Session) {
    const ctx: RequestContext = {
      tenantId: child.tenantId,
      principal: `transfer:${child.id}`,
      procedure: "sessionflow/transfer-start",
      requestId: derivedRequestId(child.id, "transfer-start"),
      clientRequestId: true,
    };
    try {
      await sessions.mutate(ctx, child.parentSessionId!, { childSessionId: child.id }, (s, now) => emit(s, "TRANSFERRED", now, { relatedSessionId: child.id }));
    } catch (e) {
      // A parent that closed meanwhile needs no announcement; the child still works.
      if (!(e instanceof DomainError)) throw e;
    }
  }
}

function qr(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
}
