import { timestampMs } from "@bufbuild/protobuf/wkt";
import { WarningScreenStatus } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { Disposition } from "../../gen/sessionflow/v1/session_pb.js";
import {
  acknowledgeCall,
  authenticateCall,
  checkCall,
  createSessionCall,
  exchangeCall,
  failureCall,
  getOutcomeCall,
  getSessionCall,
  issueLinkCall,
  listScreensCall,
  reviewCall,
  submitCall,
  transferCall,
  type As,
} from "./calls.js";
import type { Tenant } from "./cluster.js";
import type { Expectation, History } from "./history.js";
import {
  applySession,
  isClosed,
  isExpired,
  newModel,
  predictCheck,
  presentedScreen,
  scoreFor,
  takesInput,
  type CheckKind,
  type CheckThresholds,
  type SessionModel,
} from "./model.js";
import type { Random } from "./random.js";
import type { Rpc } from "./rpc.js";
import { createSender, type Sender } from "./sender.js";

/** Where subscribers find sessions to watch. */
export interface Registry {
  add(tenant: string, sessionId: string): void;
}

export interface ActorDeps {
  id: string;
  random: Random;
  rpc: Rpc;
  history: History;
  tenants: readonly Tenant[];
  thresholds: ReadonlyMap<string, CheckThresholds>;
  registry: Registry;
  /** Aborted when the workload stops: actors finish the call in flight and return. */
  stop: AbortSignal;
}

/**
 * The single steps an actor takes on the session it drives. Each step knows from the model
 * whether it is valid and records that as the call's expectation; the answer refreshes the model.
 * Probes are steps the model says are invalid, with the refusal they must get.
 */
export interface Actions {
  readonly random: Random;
  readonly sender: Sender;
  stopped(): boolean;
  /** Sleeps, but no longer than until the workload stops. */
  nap(ms: number): Promise<void>;
  create(tenant: Tenant, workflow: string, sessionId?: string): Promise<SessionModel | undefined>;
  createLink(tenant: Tenant, workflow: string): Promise<SessionModel | undefined>;
  /** A Submit to an open session; the replacement's model when the session had expired meanwhile. */
  submit(m: SessionModel, opts?: { complete?: boolean; warn?: "none" | "email" | "automation" | "both" }): Promise<SessionModel>;
  /** Submits to an expired session: alone, or two different requests at once on two instances. */
  replace(m: SessionModel, race: boolean): Promise<SessionModel | undefined>;
  check(m: SessionModel, kind: "pass" | "band" | "fail"): Promise<void>;
  acknowledgeAll(m: SessionModel): Promise<void>;
  authenticate(m: SessionModel): Promise<void>;
  review(m: SessionModel): Promise<void>;
  fail(m: SessionModel): Promise<void>;
  read(m: SessionModel): Promise<void>;
  exchange(m: SessionModel): Promise<void>;
  issueLink(m: SessionModel): Promise<void>;
  transfer(m: SessionModel): Promise<SessionModel | undefined>;
  probe(m: SessionModel): Promise<void>;
}

const warningData = (warn: "none" | "email" | "automation" | "both") => ({
  email: warn === "email" || warn === "both",
  automation: warn === "automation" || warn === "both",
});

export function createActions(d: ActorDeps): Actions {
  const { random, rpc, history } = d;
  const sender = createSender(d.id, random, rpc, history);
  const thresholdsOf = (tenant: string) => d.thresholds.get(tenant)!;
  /** Which submissions of which session this actor made: for the idempotency-key probe. */
  const submitIds = new Map<string, string[]>();
  const noteSubmit = (sessionId: string, requestId: string) => submitIds.set(sessionId, [...(submitIds.get(sessionId) ?? []), requestId]);

  const api = (m: { tenant: Tenant }): As => ({ tenant: m.tenant.id, auth: m.tenant.key });
  /** Link and transferred sessions are driven by their front end, with its client token, most of the time. */
  const front = (m: SessionModel): As =>
    m.clientToken && Date.now() < m.clientToken.expireAt && (m.origin === "TRANSFER" || random.chance(0.8))
      ? { tenant: m.tenant.id, auth: m.clientToken.token, clientToken: true }
      : api(m);
  const expect = (m: SessionModel, as: As, outcome: string, more: Omit<Expectation, "outcome"> = {}): Expectation => ({
    outcome,
    expiresAt: m.expireAt,
    ...(as.clientToken && m.clientToken ? { tokenExpiresAt: m.clientToken.expireAt } : {}),
    ...more,
  });
  const nonce = () => random.hex(10);
  const identity = (n: string, disposable = false) => ({ fullName: `Pat Q${n}`, email: `pat.q${n}@${disposable ? "mailinator.com" : "example.com"}` });
  const device = (n: string, automation: boolean) => ({
    deviceId: `dev-${n}`,
    ipAddress: "198.51.100.7",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
    automationFlags: automation ? ["webdriver"] : [],
  });
  /** Data for one more step of input, each field unique to this session so nothing links sessions. */
  const stepData = (n: string) =>
    random.pick([
      { identity: { phone: `+44770090${random.int(1000, 9999)}` } },
      { identity: { dateOfBirth: `19${random.int(50, 99)}-0${random.int(1, 9)}-1${random.int(0, 9)}` } },
      { identity: { address: { lines: [`${random.int(1, 99)} Q${n} Lane`], locality: "Oxford", postalCode: "OX1 1AA", regionCode: "GB" } } },
      { device: device(n, false) },
    ]);

  const stopped = () => d.stop.aborted;
  async function nap(ms: number) {
    if (stopped() || ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        d.stop.removeEventListener("abort", done);
        resolve();
      }
      d.stop.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * A refusal of a step the model thought valid. After expiry the session is (or is about to be)
   * FAILED; otherwise the refusal is a violation the checks report, and the model no longer
   * knows the session: it reads it before going on, so one bug does not cascade into many.
   */
  function noteRefusal(m: SessionModel, reason: string) {
    if (isExpired(m)) {
      if (!isClosed(m)) m.state = "FAILED";
    } else if (reason !== "CONCURRENT_MODIFICATION") {
      m.uncertain = true;
    }
  }

  const actions: Actions = {
    random,
    sender,
    stopped,
    nap,

    async create(tenant, workflow, unknownId) {
      const n = nonce();
      const requestId = random.uuid();
      const spec = submitCall(
        { tenant: tenant.id, auth: tenant.key },
        { workflow, requestId, identity: identity(n), step: `start-${n}`, ...(unknownId ? { sessionId: unknownId } : {}) },
        { outcome: "ok", dispositions: [unknownId ? "REPLACED_UNKNOWN" : "CREATED"] },
      );
      const answer = await sender.send(spec);
      if (!answer.ok || !answer.value.session) return undefined;
      const m = newModel(tenant, workflow, "SUBMISSION", answer.value.session);
      d.registry.add(tenant.id, m.id);
      noteSubmit(m.id, requestId);
      return m;
    },

    async createLink(tenant, workflow) {
      const spec = createSessionCall({ tenant: tenant.id, auth: tenant.key }, { workflow, reference: `ref-${nonce()}`, requestId: random.uuid() }, { outcome: "ok" });
      const answer = await sender.send(spec);
      if (!answer.ok || !answer.value.session) return undefined;
      const m = newModel(tenant, workflow, "LINK", answer.value.session);
      m.link = answer.value.url.split("/s/")[1];
      d.registry.add(tenant.id, m.id);
      return m;
    },

    async submit(m, opts = {}) {
      if (!takesInput(m)) return m;
      const n = nonce();
      const as = front(m);
      const requestId = random.uuid();
      const warn = warningData(opts.warn ?? "none");
      const data = opts.complete
        ? { identity: warn.email ? identity(n, true) : {}, device: device(n, warn.automation) }
        : stepData(n);
      // What a transferred session collects must reach its parent, if the parent takes input then.
      const parent = m.parent;
      const syncs = parent && takesInput(parent);
      const spec = submitCall(
        as,
        { sessionId: m.id, workflow: m.workflow, requestId, step: `step-${n}`, complete: opts.complete ?? false, ...data },
        expect(m, as, "ok", { dispositions: ["CONTINUED"] }),
        syncs ? { syncTo: parent.id, parentExpiresAt: parent.expireAt } : {},
      );
      const answer = await sender.send(spec);
      if (!answer.ok) {
        noteRefusal(m, answer.reason);
        return m;
      }
      const session = answer.value.session;
      if (answer.value.disposition === Disposition.REPLACED_EXPIRED && session) {
        // The session expired while the journey went on: a replacement took over.
        m.state = isClosed(m) ? m.state : "FAILED";
        const replacement = newModel(m.tenant, m.workflow, "SUBMISSION", session);
        d.registry.add(m.tenant.id, replacement.id);
        noteSubmit(replacement.id, requestId);
        return as.clientToken ? m : replacement;
      }
      applySession(m, session);
      noteSubmit(m.id, requestId);
      if (syncs && opts.complete) parent.uncertain = true; // the parent's input completed with the child's: only a read tells what followed
      return m;
    },

    async replace(m, race) {
      const as = api(m);
      const data = () => {
        const n = nonce();
        return { identity: identity(n), step: `again-${n}` };
      };
      if (!race) {
        const requestId = random.uuid();
        const answer = await sender.send(
          submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId, ...data() }, { outcome: "ok", dispositions: ["REPLACED_EXPIRED"] }),
        );
        if (!answer.ok || !answer.value.session) return undefined;
        const r = newModel(m.tenant, m.workflow, "SUBMISSION", answer.value.session);
        d.registry.add(m.tenant.id, r.id);
        noteSubmit(r.id, requestId);
        return r;
      }
      // Exactly one of the two makes the replacement; the other continues it.
      const ids = [random.uuid(), random.uuid()] as const;
      const expectRace: Expectation = { outcome: "ok", dispositions: ["REPLACED_EXPIRED", "CONTINUED"] };
      const [a, b] = await sender.race(
        submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId: ids[0], ...data() }, expectRace, { race: true }),
        submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId: ids[1], ...data() }, expectRace, { race: true }),
      );
      const oks = [a, b].flatMap((x) => (x.ok && x.value.session ? [x.value.session] : []));
      if (oks.length === 0) return undefined;
      const latest = oks.reduce((x, y) => (Number(y.version) > Number(x.version) ? y : x));
      const r = newModel(m.tenant, m.workflow, "SUBMISSION", latest);
      d.registry.add(m.tenant.id, r.id);
      [a, b].forEach((x, i) => x.ok && x.value.session?.id === r.id && noteSubmit(r.id, ids[i]!));
      return r;
    },

    async check(m, kind) {
      if (isClosed(m) || isExpired(m) || m.uncertain) return;
      const t = thresholdsOf(m.tenant.id);
      const type = random.pick<CheckKind>(["LIVENESS", "FACE_MATCH", "DOCUMENT"]);
      const score = scoreFor(t, type, kind);
      const as = front(m);
      const parent = m.parent;
      const syncs = parent && !isClosed(parent) && !isExpired(parent) && !parent.uncertain;
      const predicted = predictCheck(t, m.forcedRetries, type, score);
      const spec = checkCall(
        as,
        // The vendor is unique, so the parent's copy of a transferred session's check can be found.
        { sessionId: m.id, type, score, vendor: `v-${nonce()}`, requestId: random.uuid() },
        expect(m, as, "ok", { checkOutcome: predicted }),
        syncs ? { syncTo: parent.id, parentExpiresAt: parent.expireAt, parentOutcome: predictCheck(t, parent.forcedRetries, type, score) } : {},
      );
      const answer = await sender.send(spec);
      if (!answer.ok) return noteRefusal(m, answer.reason);
      if (predicted === "RETRY") m.forcedRetries++;
      if (syncs && predictCheck(t, parent.forcedRetries, type, score) === "RETRY") parent.forcedRetries++;
      applySession(m, answer.value.session);
    },

    async acknowledgeAll(m) {
      for (let i = 0; i < 6 && m.state === "WARNING" && !isExpired(m) && !stopped(); i++) {
        const as = front(m);
        if (random.chance(0.4)) {
          const list = await sender.send(listScreensCall(as, m.id, expect(m, as, "ok", { state: "WARNING" })));
          if (list.ok) {
            m.screens = list.value.warningScreens.map((w) => ({ id: w.id, status: WarningScreenStatus[w.status] }));
          }
        }
        const screen = presentedScreen(m);
        if (!screen) return;
        const pending = m.screens.find((s) => s.status === "PENDING");
        if (pending && random.chance(0.2)) {
          await sender.send(acknowledgeCall(as, m.id, pending.id, "PROCEED", random.uuid(), expect(m, as, "SCREEN_NOT_PRESENTED")), "once");
        }
        const answer = random.chance(0.75) ? "PROCEED" : "CANCEL";
        const ack = await sender.send(acknowledgeCall(as, m.id, screen.id, answer, random.uuid(), expect(m, as, "ok")));
        if (!ack.ok) return noteRefusal(m, ack.reason);
        applySession(m, ack.value.session);
        if (m.state === "WARNING" && random.chance(0.25)) {
          await sender.send(acknowledgeCall(as, m.id, screen.id, answer, random.uuid(), expect(m, as, "SCREEN_ALREADY_ACKNOWLEDGED")), "once");
        }
      }
    },

    async authenticate(m) {
      const accountId = m.accountId ?? `acct-${nonce()}`;
      const as = api(m);
      const answer = await sender.send(authenticateCall(as, m.id, accountId, random.uuid(), expect(m, as, "ok")));
      if (!answer.ok) return noteRefusal(m, answer.reason);
      m.accountId = accountId;
      applySession(m, answer.value.decision?.session);
      if (random.chance(0.2)) {
        await sender.send(authenticateCall(as, m.id, `acct-${nonce()}`, random.uuid(), expect(m, as, "ACCOUNT_MISMATCH")), "once");
      }
    },

    async review(m) {
      const as = api(m);
      if (m.decision === undefined || m.uncertain) await actions.read(m);
      if (m.decision === undefined) return;
      const underReview = m.decision === "REVIEW" && !m.reviewed;
      if (!underReview && !random.chance(0.3)) return;
      const verdict = random.pick(["APPROVE", "DECLINE"] as const);
      const answer = await sender.send(
        // An expired open session is abandoned: its decision is ABANDONED, no longer REVIEW.
        reviewCall(as, m.id, verdict, `reviewer-${random.int(1, 9)}`, random.uuid(), expect(m, as, underReview ? "ok" : "NOT_UNDER_REVIEW", { afterExpiry: ["NOT_UNDER_REVIEW"] })),
        underReview ? undefined : "once",
      );
      if (answer.ok) applySession(m, answer.value.session);
    },

    async fail(m) {
      if (isClosed(m) || isExpired(m) || m.uncertain) return;
      const as = front(m);
      const answer = await sender.send(failureCall(as, m.id, random.uuid(), expect(m, as, "ok")));
      if (!answer.ok) return noteRefusal(m, answer.reason);
      applySession(m, answer.value.session);
    },

    async read(m) {
      const as = m.decision === undefined || m.uncertain ? api(m) : front(m);
      // A read shows what the model knows, or the expiry's FAILED; after a child completed its parent, the model needs the read.
      const state = m.uncertain ? {} : { state: m.state };
      if (random.chance(0.3) && !m.uncertain) {
        await sender.send(getOutcomeCall(as, m.id, expect(m, as, "ok", state)));
        return;
      }
      const answer = await sender.send(getSessionCall(as, m.id, expect(m, as, "ok", state)));
      if (answer.ok) applySession(m, answer.value.session);
    },

    async exchange(m) {
      if (!m.link) return;
      const answer = await sender.send(exchangeCall(m.tenant.id, m.id, m.link, { outcome: "ok", expiresAt: m.expireAt }));
      if (!answer.ok) return;
      const expireAt = answer.value.clientTokenExpireTime ? timestampMs(answer.value.clientTokenExpireTime) : 0;
      m.clientToken = { token: answer.value.clientToken, expireAt };
    },

    async issueLink(m) {
      if (isClosed(m) || isExpired(m) || !m.link) return;
      const as = api(m);
      const answer = await sender.send(issueLinkCall(as, m.id, expect(m, as, "ok")), "once");
      if (!answer.ok) return noteRefusal(m, answer.reason);
      m.staleLinks.push(m.link);
      m.link = answer.value.url.split("/s/")[1];
    },

    async transfer(m) {
      if (!takesInput(m)) return undefined;
      const as = front(m);
      const answer = await sender.send(transferCall(as, m.id, random.uuid(), expect(m, as, "ok")));
      if (!answer.ok || !answer.value.child) {
        if (!answer.ok) noteRefusal(m, answer.reason);
        return undefined;
      }
      const child = newModel(m.tenant, m.workflow, "TRANSFER", answer.value.child);
      child.link = answer.value.url.split("/s/")[1];
      child.parent = m;
      d.registry.add(m.tenant.id, child.id);
      return child;
    },

    async probe(m) {
      const as = api(m);
      const other = m.tenant.workflows.find((w) => w !== m.workflow)!;
      const n = nonce();
      const earlier = submitIds.get(m.id) ?? [];
      const stale = m.staleLinks.at(-1);
      const choices: (() => Promise<unknown>)[] = [
        // A session id is never reused across workflows: refused whatever its state or age.
        () => sender.send(submitCall(as, { sessionId: m.id, workflow: other, requestId: random.uuid(), step: `x-${n}` }, { outcome: "SESSION_WORKFLOW_MISMATCH" }), "once"),
      ];
      if (earlier.length > 0) {
        // An earlier request id with different content.
        const requestId = random.pick(earlier);
        choices.push(() =>
          sender.send(submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId, step: `reuse-${n}` }, { outcome: "IDEMPOTENCY_KEY_REUSED" }), "once"),
        );
      }
      if (isClosed(m) && !isExpired(m)) {
        choices.push(() =>
          sender.send(submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId: random.uuid(), step: `late-${n}` }, expect(m, as, "SESSION_CLOSED")), "once"),
        );
        choices.push(() => sender.send(failureCall(as, m.id, random.uuid(), expect(m, as, "SESSION_CLOSED")), "once"));
      }
      if (m.inputComplete && !isClosed(m) && !isExpired(m) && !m.uncertain) {
        choices.push(() =>
          sender.send(submitCall(as, { sessionId: m.id, workflow: m.workflow, requestId: random.uuid(), step: `more-${n}` }, expect(m, as, "INPUT_COMPLETE")), "once"),
        );
      }
      if (stale) {
        choices.push(() => sender.send(exchangeCall(m.tenant.id, m.id, stale, { outcome: "LINK_INVALID" }), "once"));
      }
      await random.pick(choices)();
    },
  };
  return actions;
}
