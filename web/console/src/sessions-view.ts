import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Decision } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionState } from "../../../gen/sessionflow/v1/session_pb.js";
import { h } from "../../shared/dom.js";
import { api } from "./api.js";
import { badge, decisionName, labelName, stateName, table, time } from "./format.js";
import type { View } from "./main.js";

const states = [SessionState.OPEN, SessionState.ANALYSING, SessionState.WARNING, SessionState.RESOLVED, SessionState.FAILED];
const decisions = [Decision.PENDING, Decision.APPROVE, Decision.REVIEW, Decision.DECLINE, Decision.ABANDONED];

/** Page tokens of the pages before the current one, for "Previous"; reset when the filters change. */
let history: { filters: string; tokens: string[] } = { filters: "", tokens: [] };

/** The sessions list: filters live in the route's query (so Back works), page tokens in memory. */
export async function renderSessions({ root, params }: View) {
  const filters = new URLSearchParams(params);
  filters.delete("page");
  if (history.filters !== filters.toString()) history = { filters: filters.toString(), tokens: [] };
  const pageToken = params.get("page") ?? "";

  const field = (id: string, label: string, control: HTMLElement) => h("div", {}, h("label", { for: id }, label), control);
  const select = (id: string, names: string[]) =>
    h("select", { id, name: id }, h("option", { value: "" }, "Any"), ...names.map((n) => h("option", { value: n, selected: params.get(id) === n }, n)));
  const input = (id: string, type = "text", extra: Record<string, string> = {}) => h("input", { id, name: id, type, value: params.get(id) ?? "", ...extra });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter sessions" },
    field("state", "State", select("state", states.map(stateName))),
    field("decision", "Decision", select("decision", decisions.map(decisionName))),
    field("workflow", "Workflow", input("workflow", "text", { size: "14", placeholder: "e.g. bank-signup" })),
    field("market", "Market", input("market", "text", { size: "4", maxlength: "2", placeholder: "GB" })),
    field("from", "Created from", input("from", "datetime-local")),
    field("to", "Created before", input("to", "datetime-local")),
    h("div", {}, h("button", { type: "submit" }, "Apply filters")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim()) next.set(k, k === "market" ? v.trim().toUpperCase() : v.trim());
    location.hash = `#/sessions?${next}`;
  });

  root.append(h("h1", { tabindex: "-1" }, "Sessions"), h("section", { class: "panel" }, form));
  const state = SessionState[params.get("state") as keyof typeof SessionState];
  const decision = Decision[params.get("decision") as keyof typeof Decision];
  const from = params.get("from");
  const to = params.get("to");
  const res = await api.sessions.listSessions({
    pageSize: 20,
    pageToken,
    workflow: params.get("workflow") ?? "",
    market: params.get("market") ?? "",
    states: state ? [state] : [],
    decisions: decision ? [decision] : [],
    ...(from ? { createTimeStart: timestampFromDate(new Date(from)) } : {}),
    ...(to ? { createTimeEnd: timestampFromDate(new Date(to)) } : {}),
  });

  const rows = res.sessions.map((s) => [
    h("a", { href: `#/sessions/${s.id}`, class: "mono" }, s.id),
    s.workflow,
    s.market || "—",
    badge(stateName(s.state)),
    badge(decisionName(s.decision?.decision)),
    labelName(s.risk?.label),
    time(s.createTime),
  ]);
  const pager = h("div", { class: "actions" });
  if (pageToken) {
    const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
    previous.onclick = () => {
      const back = history.tokens.pop() ?? "";
      const q = new URLSearchParams(filters);
      if (back) q.set("page", back);
      location.hash = `#/sessions?${q}`;
    };
    pager.append(previous);
  }
  if (res.nextPageToken) {
    const next = h("button", { type: "button" }, "Next page");
    next.onclick = () => {
      history.tokens.push(pageToken);
      const q = new URLSearchParams(filters);
      q.set("page", res.nextPageToken);
      location.hash = `#/sessions?${q}`;
    };
    pager.append(next);
  }
  root.append(
    h(
      "section",
      { class: "panel", "aria-live": "polite" },
      table("Sessions, newest first", ["Session", "Workflow", "Market", "State", "Decision", "Risk", "Created (UTC)"], rows, "no session matches these filters."),
      pager,
    ),
  );
}
