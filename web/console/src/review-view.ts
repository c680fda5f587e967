import { Decision } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionView } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { h } from "../../shared/dom.js";
import { fieldErrorsOf } from "../../shared/errors.js";
import { api } from "./api.js";
import { badge, labelName, time } from "./format.js";
import { failed, type View } from "./main.js";

const reviewerKey = "sessionflow-console-reviewer";

/** Approve or decline a REVIEW session: the reviewer's name and a reason are both required, and audited. */
export function reviewForm(sessionId: string, onDone: (verdict: Decision) => void): HTMLFormElement {
  const id = (name: string) => `${name}-${sessionId}`;
  const reviewer = h("input", { id: id("reviewer"), name: "reviewer", required: true, maxlength: "128", autocomplete: "username", value: sessionStorage.getItem(reviewerKey) ?? "" });
  const reason = h("textarea", { id: id("reason"), name: "reason", required: true, maxlength: "500", "aria-describedby": id("review-error") });
  const error = h("p", { id: id("review-error"), class: "error", role: "alert", hidden: true });
  const approve = h("button", { type: "submit", value: "approve", "data-testid": "approve" }, "Approve");
  const decline = h("button", { type: "submit", value: "decline", class: "danger", "data-testid": "decline" }, "Decline");
  const form = h(
    "form",
    { "aria-label": `Review session ${sessionId}`, novalidate: true },
    h("label", { for: id("reviewer") }, "Reviewer (user name, for example olga.operator)"),
    reviewer,
    h("label", { for: id("reason") }, "Reason (required, kept in the audit trail)"),
    reason,
    error,
    h("div", { class: "actions" }, approve, decline),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const verdict = (e.submitter as HTMLButtonElement | null)?.value === "decline" ? Decision.DECLINE : Decision.APPROVE;
    const say = (text: string, field?: HTMLElement) => {
      error.textContent = text;
      error.hidden = false;
      field?.setAttribute("aria-invalid", "true");
      field?.focus();
    };
    if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(reviewer.value.trim())) return say("Enter the reviewer as a user name: letters, digits and . _ : @ - only.", reviewer);
    if (!reason.value.trim()) return say("Enter the reason for this decision.", reason);
    sessionStorage.setItem(reviewerKey, reviewer.value.trim());
    approve.disabled = decline.disabled = true;
    api.decisions
      .reviewSession({ sessionId, decision: verdict, reviewer: reviewer.value.trim(), reason: reason.value.trim(), requestId: crypto.randomUUID() })
      .then(
        () => onDone(verdict),
        (err: unknown) => {
          const fields = fieldErrorsOf(err);
          if (fields.size) say(`Please check: ${[...fields].map(([f, d]) => `${f} ${d}`).join("; ")}.`);
          else {
            error.hidden = true;
            failed(form, err);
          }
        },
      )
      .finally(() => (approve.disabled = decline.disabled = false));
  });
  return form;
}

/** Sessions whose decision is REVIEW, oldest last, each with its reasons and the review form. */
export async function renderReview({ root, signal, params }: View) {
  const status = h("p", { role: "status", "aria-live": "polite", "data-testid": "review-status" });
  root.append(h("h1", { tabindex: "-1" }, "Review queue"), status);
  const res = await api.sessions.listSessions({ decisions: [Decision.REVIEW], view: SessionView.FULL, pageSize: 10, pageToken: params.get("page") ?? "" }, { signal });
  if (res.sessions.length === 0) root.append(h("p", { class: "panel muted" }, "No session is waiting for review."));
  for (const s of res.sessions) {
    const item = h(
      "section",
      { class: "panel", "aria-labelledby": `title-${s.id}`, "data-testid": "review-item" },
      h("h2", { id: `title-${s.id}` }, h("a", { href: `#/sessions/${s.id}`, class: "mono" }, s.id)),
      h("p", {}, `${s.workflow} · ${s.market || "no market"} · created ${time(s.createTime)} · risk `, badge(labelName(s.risk?.label)), ` · ${s.decision?.reason ?? ""}`),
      h("p", { class: "muted" }, "Reason codes: ", ...(s.risk?.reasons ?? []).map((r, i) => h("span", { class: "mono" }, `${i ? ", " : ""}${r.code}`))),
    );
    item.append(
      reviewForm(s.id, (verdict) => {
        status.textContent = `Session ${s.id} ${verdict === Decision.APPROVE ? "approved" : "declined"}.`;
        item.remove();
        root.querySelector<HTMLElement>("h1")?.focus();
      }),
    );
    root.append(item);
  }
  if (res.nextPageToken) {
    root.append(h("p", {}, h("a", { href: `#/review?page=${encodeURIComponent(res.nextPageToken)}` }, "More sessions waiting for review")));
  }
}
