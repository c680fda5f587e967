import { builtInAnalyzers } from "../../src/domain/analyzers.js";
import { createManualClock, type ManualClock } from "../../src/domain/clock.js";
import { createDecisionUseCases, type DecisionUseCases } from "../../src/domain/decisions.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { createLinkUseCases, type LinkUseCases } from "../../src/domain/links.js";
import { createPolicies } from "../../src/domain/policy.js";
import type { RequestContext } from "../../src/domain/request-replay.js";
import type { Session } from "../../src/domain/session.js";
import { createSessionUseCases, type SessionUseCases } from "../../src/domain/sessions.js";
import type { SubmitCommand } from "../../src/domain/stitching.js";
import type { Store } from "../../src/domain/store.js";
import { createTokenService } from "../../src/domain/tokens.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

export type SubmitInput = Omit<SubmitCommand, "fingerprint">;

/**
 * The use cases over one store, with a manual clock and a switch that makes the next matching
 * session write fail after nothing was written (as a lost connection would), for retry tests.
 */
export interface DomainHarness {
  clock: ManualClock;
  store: Store;
  sessions: SessionUseCases;
  links: LinkUseCases;
  decisions: DecisionUseCases;
  failNextWrite(match: (session: Session) => boolean): void;
  ctx(overrides?: Partial<RequestContext>): RequestContext;
  submit(overrides?: Partial<SubmitInput>): SubmitInput;
}

let n = 0;
const requestId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

export function createDomainHarness(base: Store = createMemoryStore()): DomainHarness {
  const clock = createManualClock();
  let failing: ((s: Session) => boolean) | undefined;
  const fail = (s: Session) => {
    if (!failing?.(s)) return;
    failing = undefined;
    throw new Error("connection reset");
  };
  const store: Store = {
    ...base,
    sessions: {
      ...base.sessions,
      insert: async (s) => (fail(s), base.sessions.insert(s)),
      update: async (s, previous) => (fail(s), base.sessions.update(s, previous)),
    },
  };
  const ids = createUuidV7Generator(() => clock.now().getTime());
  const policies = createPolicies({ submissionSeconds: 30, linkSeconds: 600, transferSeconds: 60 });
  const sessions = createSessionUseCases({ store, clock, ids, policies, analysis: { analyzers: builtInAnalyzers, timeoutMs: 1000 } });
  const links = createLinkUseCases({
    store,
    clock,
    ids,
    policies,
    tokens: createTokenService("s".repeat(32)),
    sessions,
    publicBaseUrl: "http://localhost",
    clientTokenTtlMs: 60_000,
  });
  return {
    clock,
    store,
    sessions,
    links,
    decisions: createDecisionUseCases({ sessions, store, clock }),
    failNextWrite: (match) => void (failing = match),
    ctx: (overrides = {}) => ({ tenantId: "acme", principal: "key:k", procedure: "/p", requestId: requestId(), clientRequestId: true, ...overrides }),
    submit: (overrides = {}) => ({
      tenantId: "acme",
      principal: "key:k",
      procedure: "/sessionflow.v1.SubmissionService/Submit",
      workflow: "bank-signup",
      market: "",
      requestId: requestId(),
      clientRequestId: true,
      identity: { fullName: "Alice" },
      step: "",
      complete: false,
      ...overrides,
    }),
  };
}
