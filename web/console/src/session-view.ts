import type { LifecycleEvent } from "../../../gen/sessionflow/v1/event_pb.js";
import { LifecycleEventType } from "../../../gen/sessionflow/v1/event_pb.js";
import { Decision } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionOrigin, SessionState, type Session } from "../../../gen/sessionflow/v1/session_pb.js";
import { SessionView } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { h } from "../../shared/dom.js";
import { followSession } from "../../shared/follow.js";
import { api } from "./api.js";
import { badge, checkName, checkOutcomeName, decisionName, eventName, labelName, score, stateName, table, time } from "./format.js";
import { failed, type View } from "./main.js";
import { reviewForm } from "./review-view.js";

/**
 * One session: its facts, the live timeline (WatchSession, resumed after a lost connection),
 * the risk assessment with every reason code, checks and retries, the decision history, the
 * audit trail with its chain verification, and URL recovery. Each event refreshes the rest.
 */
export async function renderSession({ root, signal }: View, sessionId: string) {
  const heading = h("h1", { tabindex: "-1" }, "Session ", h("span", { class: "mono" }, sessionId));
  const facts = h("section", { class: "panel", "aria-labelledby": "facts-title" });
  const link = h("section", { class: "panel", "aria-labelledby": "link-title" });
  const review = h("div");
  const timelineStatus = h("p", { class: "muted", role: "status", "data-testid": "timeline-status" }, "Connecting…");
  const timeline = h("ol", { class: "timeline", "data-testid": "timeline" });
  const risk = h("section", { class: "panel", "aria-labelledby": "risk-title" });
  const checks = h("section", { class: "panel", "aria-labelledby": "checks-title" });
  const decisions = h("section", { class: "panel", "aria-labelledby": "decisions-title" });
  const audit = h("section", { class: "panel", "aria-labelledby": "audit-title" });
  root.append(
    h("p", {}, h("a", { href: "#/sessions" }, "← All sessions")),
    heading,
    h("div", { class: "grid" }, facts, h("section", { class: "panel", "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Live timeline"), timelineStatus, timeline)),
    review,
    link,
    h("div", { class: "grid" }, risk, checks),
    decisions,
    audit,
  );

  const decisionEvents: LifecycleEvent[] = [];
  let session: Session | undefined;

  const refresh = async () => {
    const [{ session: s }, trail] = await Promise.all([
      api.sessions.getSession({ sessionId, view: SessionView.FULL }, { signal }),
      api.sessions.getAuditTrail({ sessionId }, { signal }),
    ]);
    if (!s || signal.aborted) return;
    session = s;
    drawFacts(facts, s);
    drawRisk(risk, s);
    drawChecks(checks, s);
    drawDecisions(decisions, s, decisionEvents);
    drawLink(link, s);
    review.replaceChildren(s.decision?.decision === Decision.REVIEW && !s.decision.reviewer ? h("section", { class: "panel" }, h("h2", {}, "Review"), reviewForm(s.id, () => void refresh())) : "");
    audit.replaceChildren(
      h("h2", { id: "audit-title" }, "Audit trail"),
      trail.chainVerified
        ? h("p", { class: "ok", "data-testid": "chain" }, "✓ Hash chain verified: every record links to the one before it.")
        : h("p", { class: "error", "data-testid": "chain" }, "✗ Hash chain does not verify: the trail was altered."),
      table(
        "Audit records",
        ["#", "Time (UTC)", "Procedure", "Principal", "Request id", "Hash"],
        trail.records.map((r) => [String(r.sequence), time(r.recordTime), r.procedure, r.principal, h("span", { class: "mono" }, r.requestId || "—"), h("span", { class: "mono", title: r.hash }, r.hash.slice(0, 12) + "…")]),
      ),
    );
  };
  await refresh();

  // Refreshes after a burst of events at most every 300 ms, not once per event.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => void refresh().catch((e: unknown) => !signal.aborted && failed(root, e)), 300);
  };

  void followSession({
    watch: (afterSequence, s) => api.events.watchSession({ sessionId, afterSequence }, { signal: s }),
    probe: (s) => api.sessions.getSession({ sessionId }, { signal: s }),
    signal,
    onConnection: (state) => {
      timelineStatus.textContent = state === "live" ? "Live: new events appear as they happen." : state === "lost" ? "Connection lost. Reconnecting…" : "The session is closed; this is its whole timeline.";
    },
    onEvent: (event) => {
      timeline.append(h("li", {}, h("strong", {}, `#${event.sequence} ${eventName(event.type)}`), " ", h("span", { class: "muted" }, `${time(event.eventTime)} · ${stateName(event.state)}${detail(event)}`)));
      if (event.type === LifecycleEventType.DECISION) decisionEvents.push(event);
      if (session && event.sequence > session.lastEventSequence) refreshSoon();
      else if (event.type === LifecycleEventType.DECISION && session) drawDecisions(decisions, session, decisionEvents);
    },
  }).catch((e: unknown) => !signal.aborted && failed(root, e));
}

function detail(e: LifecycleEvent): string {
  if (e.decision) return ` · ${decisionName(e.decision.decision)} (${e.decision.reason})`;
  if (e.check) return ` · ${checkName(e.check.type)} ${checkOutcomeName(e.check.outcome)}`;
  if (e.warningScreen) return ` · ${e.warningScreen.kind}`;
  if (e.analysis) return ` · ${e.analysis.analyzer}`;
  if (e.relatedSessionId) return ` · ${e.relatedSessionId}`;
  return "";
}

function drawFacts(panel: HTMLElement, s: Session) {
  const rows: [string, Node | string][] = [
    ["Workflow", s.workflow],
    ["Market", s.market || "—"],
    ["State", badge(stateName(s.state))],
    ["Decision", badge(decisionName(s.decision?.decision))],
    ["Origin", SessionOrigin[s.origin] ?? "—"],
    ["Reference", s.reference || "—"],
    ["Created (UTC)", time(s.createTime)],
    ["Expires (UTC)", time(s.expireTime)],
    ["Current step", s.currentStep || "—"],
    ["Completed steps", s.completedSteps.join(", ") || "—"],
    ["Input complete", s.inputComplete ? "yes" : "no"],
  ];
  if (s.parentSessionId) rows.push(["Transferred from", h("a", { href: `#/sessions/${s.parentSessionId}`, class: "mono" }, s.parentSessionId)]);
  if (s.replaces) rows.push(["Replaces", h("a", { href: `#/sessions/${s.replaces}`, class: "mono" }, s.replaces)]);
  if (s.replacedBy) rows.push(["Replaced by", h("a", { href: `#/sessions/${s.replacedBy}`, class: "mono" }, s.replacedBy)]);
  panel.replaceChildren(h("h2", { id: "facts-title" }, "Summary"), h("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

function drawRisk(panel: HTMLElement, s: Session) {
  const r = s.risk;
  panel.replaceChildren(h("h2", { id: "risk-title" }, "Risk assessment"));
  if (!r) return void panel.append(h("p", { class: "muted" }, "No assessment yet: nothing has been submitted."));
  panel.append(
    h("p", {}, "Label ", badge(labelName(r.label)), ` · configuration version ${r.configurationVersion}`),
    table("Scores (0 to 1)", ["Component", "Score"], [
      ["account score", score(r.accountScore)],
      ["bot", score(r.bot)],
      ["multiple accounts", score(r.multipleAccounts)],
      ["risk signals", score(r.riskSignals)],
      ["synthetic identity", score(r.syntheticIdentity)],
      ["accounts linked", String(r.accountsLinked)],
      ["lists matched", r.lists.join(", ") || "none"],
    ]),
    table("Reason codes", ["Component", "Code", "Weight"], r.reasons.map((x) => [x.component, h("span", { class: "mono" }, x.code), score(x.weight)]), "none."),
  );
}

function drawChecks(panel: HTMLElement, s: Session) {
  panel.replaceChildren(
    h("h2", { id: "checks-title" }, "Checks and retries"),
    h("p", {}, `Forced retries: ${s.forcedRetries}`),
    table(
      "Check results, in order",
      ["Check", "Outcome", "Score", "Threshold", "Vendor", "Reported (UTC)"],
      s.checks.map((c) => [checkName(c.type), badge(checkOutcomeName(c.outcome)), score(c.score), score(c.threshold), c.vendor || "—", time(c.reportTime)]),
      "no check reported.",
    ),
  );
}

function drawDecisions(panel: HTMLElement, s: Session, events: readonly LifecycleEvent[]) {
  const d = s.decision;
  panel.replaceChildren(
    h("h2", { id: "decisions-title" }, "Decision history"),
    d
      ? h("p", {}, "Current: ", badge(decisionName(d.decision)), ` ${d.reason} · configuration version ${d.configurationVersion}`, d.reviewer ? ` · reviewed by ${d.reviewer}: “${d.reviewReason}”` : "")
      : "",
    table(
      "Decisions, oldest first",
      ["Time (UTC)", "Decision", "Reason", "Configuration", "Reviewer", "Review reason"],
      events.map((e) => [time(e.decision?.decideTime ?? e.eventTime), badge(decisionName(e.decision?.decision)), e.decision?.reason ?? "", String(e.decision?.configurationVersion ?? ""), e.decision?.reviewer || "—", e.decision?.reviewReason || "—"]),
      "no decision recorded yet.",
    ),
  );
}

function drawLink(panel: HTMLElement, s: Session) {
  const closed = s.state === SessionState.RESOLVED || s.state === SessionState.FAILED;
  panel.replaceChildren(h("h2", { id: "link-title" }, "Link recovery"));
  if (closed) return void panel.append(h("p", { class: "muted" }, "The session is closed; it needs no link."));
  const result = h("div", { role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", "data-testid": "issue-link" }, "Issue a new link");
  button.onclick = async () => {
    button.disabled = true;
    try {
      const { url } = await api.sessions.issueLink({ sessionId: s.id });
      const field = h("input", { id: "recovered-url", class: "mono", readonly: true, value: url, "data-testid": "recovered-url" });
      const copy = h("button", { type: "button", class: "secondary" }, "Copy");
      copy.onclick = () => void navigator.clipboard?.writeText(url).then(() => (copy.textContent = "Copied"));
      result.replaceChildren(h("label", { for: "recovered-url" }, "New link (the previous one no longer works)"), h("div", { class: "link-box" }, field, copy));
    } catch (e) {
      failed(result, e);
    } finally {
      button.disabled = false;
    }
  };
  panel.append(h("p", {}, "Send the user a new link if they lost theirs. Issuing one makes every earlier link stop working."), h("div", { class: "actions" }, button), result);
}
