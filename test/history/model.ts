import { timestampMs } from "@bufbuild/protobuf/wkt";
import { WarningScreenStatus } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionState, type Session } from "../../gen/sessionflow/v1/session_pb.js";
import type { Tenant } from "./cluster.js";

/**
 * An actor's model of the one session it drives. Nobody else writes to the session (apart from
 * expiry, which the model knows the time of, and the actor's own transfer child), so the model
 * knows which actions are valid and what they must answer; answers refresh it.
 */
export interface SessionModel {
  tenant: Tenant;
  id: string;
  workflow: string;
  origin: "SUBMISSION" | "LINK" | "TRANSFER";
  state: string;
  expireAt: number;
  inputComplete: boolean;
  screens: { id: string; status: string }[];
  /** Forced retries so far, counted by the model from the outcomes it predicted. */
  forcedRetries: number;
  /** The decision, when the last full view showed it (client tokens see a reduced view). */
  decision?: string;
  reviewed: boolean;
  accountId?: string;
  /** The highest version any answer showed. */
  version: number;
  /** The link token that works now, and those an IssueLink retired. */
  link?: string;
  staleLinks: string[];
  clientToken?: { token: string; expireAt: number };
  parent?: SessionModel;
  /** A child's completion changed this session in ways only a read tells. */
  uncertain: boolean;
}

export const closedStates = new Set(["RESOLVED", "FAILED"]);

export function newModel(tenant: Tenant, workflow: string, origin: SessionModel["origin"], s: Session): SessionModel {
  const m: SessionModel = {
    tenant,
    id: s.id,
    workflow,
    origin,
    state: "OPEN",
    expireAt: 0,
    inputComplete: false,
    screens: [],
    forcedRetries: 0,
    reviewed: false,
    version: 0,
    staleLinks: [],
    uncertain: false,
  };
  applySession(m, s);
  return m;
}

/** Takes what an answer shows of the session; a reduced view carries no decision. */
export function applySession(m: SessionModel, s: Session | undefined): void {
  if (!s || s.id !== m.id) return;
  m.state = SessionState[s.state];
  if (s.expireTime) m.expireAt = timestampMs(s.expireTime);
  m.inputComplete = s.inputComplete;
  m.screens = s.warningScreens.map((w) => ({ id: w.id, status: WarningScreenStatus[w.status] }));
  m.version = Math.max(m.version, Number(s.version));
  // A reduced view (client token) hides the decision; any change may have moved it, so it is unknown now.
  m.decision = s.decision ? Decision[s.decision.decision] : undefined;
  m.reviewed = s.decision ? s.decision.reviewer !== "" : m.reviewed;
  if (s.accountId) m.accountId = s.accountId;
  m.uncertain = false;
}

export const isClosed = (m: SessionModel) => closedStates.has(m.state);
export const isExpired = (m: SessionModel, now = Date.now()) => now >= m.expireAt;
/** Open, unexpired and still taking input: a Submit continues it. */
export const takesInput = (m: SessionModel, now = Date.now()) => !isClosed(m) && !isExpired(m, now) && !m.inputComplete && !m.uncertain;
export const presentedScreen = (m: SessionModel) => m.screens.find((s) => s.status === "PRESENTED");

/** The thresholds that decide a check's outcome, as GetThresholds reports them. */
export interface CheckThresholds {
  LIVENESS: number;
  FACE_MATCH: number;
  DOCUMENT: number;
  retryBand: number;
  maxRetries: number;
}

export type CheckKind = keyof Pick<CheckThresholds, "LIVENESS" | "FACE_MATCH" | "DOCUMENT">;

/** At or above the threshold passes; within the retry band forces a retry while retries remain; else fails. */
export function predictCheck(t: CheckThresholds, forcedRetries: number, type: CheckKind, score: number): "PASSED" | "RETRY" | "FAILED" {
  const threshold = t[type];
  if (score >= threshold) return "PASSED";
  return score >= threshold - t.retryBand - 1e-9 && forcedRetries < t.maxRetries ? "RETRY" : "FAILED";
}

/** A score that passes, lands in the retry band, or fails outright. */
export function scoreFor(t: CheckThresholds, type: CheckKind, kind: "pass" | "band" | "fail"): number {
  const threshold = t[type];
  const score = kind === "pass" ? Math.min(1, threshold + 0.05) : kind === "band" ? threshold - t.retryBand / 2 : Math.max(0, threshold - t.retryBand - 0.2);
  return Math.round(score * 1e4) / 1e4;
}
