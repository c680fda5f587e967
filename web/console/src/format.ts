import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { LifecycleEventType } from "../../../gen/sessionflow/v1/event_pb.js";
import { CheckOutcome, CheckType, Decision, RiskLabel } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionState } from "../../../gen/sessionflow/v1/session_pb.js";
import { h } from "../../shared/dom.js";

export const stateName = (s: SessionState) => SessionState[s] ?? "UNKNOWN";
export const decisionName = (d: Decision | undefined) => (d ? (Decision[d] ?? "UNKNOWN") : "—");
export const eventName = (t: LifecycleEventType) => LifecycleEventType[t] ?? "UNKNOWN";
export const labelName = (l: RiskLabel | undefined) => (l ? (RiskLabel[l] ?? "UNKNOWN") : "—");
export const checkName = (t: CheckType) => CheckType[t] ?? "UNKNOWN";
export const checkOutcomeName = (o: CheckOutcome) => CheckOutcome[o] ?? "UNKNOWN";

export function time(t: Timestamp | undefined): string {
  if (!t) return "—";
  return timestampDate(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
export const score = (n: number) => n.toFixed(2);

const tone: Record<string, string> = {
  APPROVE: "good",
  RESOLVED: "good",
  REAL: "good",
  PASSED: "good",
  DECLINE: "bad",
  FAILED: "bad",
  FAKE: "bad",
  REVIEW: "warn",
  WARNING: "warn",
  SUSPICIOUS: "warn",
  RETRY: "warn",
};

export function badge(text: string) {
  return h("span", { class: `badge ${tone[text] ?? ""}` }, text);
}

/** A table with a caption, header cells with scope, and one row per item. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly (Node | string)[])[], empty = "Nothing yet.") {
  if (rows.length === 0) return h("p", { class: "muted" }, `${caption}: ${empty}`);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((c) => h("td", {}, c))))),
    ),
  );
}
