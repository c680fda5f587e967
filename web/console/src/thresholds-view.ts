import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Thresholds, ThresholdsSchema } from "../../../gen/sessionflow/v1/thresholds_pb.js";
import { h } from "../../shared/dom.js";
import { fieldErrorsOf, reasonOf } from "../../shared/errors.js";
import { api } from "./api.js";
import { table, time } from "./format.js";
import { failed, type View } from "./main.js";

type Key = "liveness" | "faceMatch" | "document" | "review" | "decline" | "warn" | "retryBand" | "maxRetries";
const fields: { key: Key; proto: string; label: string; integer?: boolean }[] = [
  { key: "liveness", proto: "liveness", label: "Liveness: score a capture must reach" },
  { key: "faceMatch", proto: "face_match", label: "Face match: similarity a capture must reach" },
  { key: "document", proto: "document", label: "Document: authenticity score a document must reach" },
  { key: "review", proto: "review", label: "Review: account score at or above which the decision is REVIEW" },
  { key: "decline", proto: "decline", label: "Decline: account score at or above which the decision is DECLINE" },
  { key: "warn", proto: "warn", label: "Warn: analysis risk at or above which a warning screen is shown" },
  { key: "retryBand", proto: "retry_band", label: "Retry band: how far below a check threshold a retry is forced" },
  { key: "maxRetries", proto: "max_retries", label: "Max retries: forced retries one session may have", integer: true },
];

const summary = (t: Thresholds | undefined) =>
  fields
    .filter((f) => t?.[f.key] !== undefined)
    .map((f) => `${f.proto}=${t![f.key]}`)
    .join(", ") || "defaults";

/**
 * The tenant's thresholds: the current values (empty means the built-in default, shown as the
 * placeholder), editing that requires a reason and names the version it was based on (a
 * concurrent change is refused, not overwritten), and every revision.
 */
export async function renderThresholds({ root, signal, params }: View) {
  // Per-market tuning (seeds/seon-session-management.txt): ?market=DE edits that market's override.
  const market = /^[A-Z]{2}$/.test(params.get("market") ?? "") ? params.get("market")! : "";
  const [{ config, effective }, { revisions }] = await Promise.all([
    api.configuration.getThresholds({ market }, { signal }),
    api.configuration.listThresholdRevisions({ pageSize: 50 }, { signal }),
  ]);
  const version = config?.version ?? 0n;
  const editing = market ? config?.marketOverrides[market] : config?.values;
  const inputs = new Map<Key, HTMLInputElement>();
  const form = h("form", { novalidate: true, "aria-describedby": "thresholds-version" });
  form.append(
    h(
      "p",
      { id: "thresholds-version" },
      market
        ? `Editing version ${version}, the override for market ${market}. Leave a field empty to use the tenant's value (shown greyed).`
        : `Editing version ${version}. Leave a field empty to use the built-in default (shown greyed).`,
    ),
  );
  for (const f of fields) {
    const id = `t-${f.key}`;
    const value = editing?.[f.key];
    const input = h("input", {
      id,
      name: f.key,
      type: "number",
      step: f.integer ? "1" : "0.01",
      min: "0",
      max: f.integer ? "100" : "1",
      value: value === undefined ? "" : String(value),
      placeholder: String(effective?.[f.key] ?? ""),
      "aria-describedby": `${id}-error`,
    });
    inputs.set(f.key, input);
    form.append(h("label", { for: id }, f.label), input, h("p", { id: `${id}-error`, class: "error", hidden: true }));
  }
  const reason = h("textarea", { id: "t-reason", name: "reason", required: true, maxlength: "500", "aria-describedby": "t-error" });
  const error = h("p", { id: "t-error", class: "error", role: "alert", hidden: true });
  const done = h("p", { class: "ok", role: "status", "aria-live": "polite", "data-testid": "thresholds-status" });
  const save = h("button", { type: "submit" }, "Save thresholds");
  form.append(h("label", { for: "t-reason" }, "Reason for the change (required, kept with the revision)"), reason, error, h("div", { class: "actions" }, save), done);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    for (const p of form.querySelectorAll<HTMLElement>("p.error")) p.hidden = true;
    for (const input of form.querySelectorAll("input, textarea")) input.removeAttribute("aria-invalid");
    const say = (text: string, field?: HTMLElement) => {
      error.textContent = text;
      error.hidden = false;
      field?.setAttribute("aria-invalid", "true");
      field?.focus();
    };
    if (!reason.value.trim()) return say("Enter the reason for this change.", reason);
    const values: Partial<Record<Key, number>> = {};
    for (const f of fields) {
      const raw = inputs.get(f.key)!.value.trim();
      if (raw === "") continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) return say(`${f.label.split(":")[0]} must be a number.`, inputs.get(f.key));
      values[f.key] = n;
    }
    save.disabled = true;
    const overrides: Record<string, MessageInitShape<typeof ThresholdsSchema>> = { ...config?.marketOverrides };
    if (market && Object.keys(values).length > 0) overrides[market] = values;
    else if (market) delete overrides[market];
    api.configuration
      .updateThresholds({
        expectedVersion: version,
        reason: reason.value.trim(),
        values: market ? (config?.values ?? {}) : values,
        marketOverrides: overrides,
        ...(config?.lists ? { lists: config.lists } : {}),
        clientScores: config?.clientScores ?? false,
      })
      .then(
        ({ config: saved }) => {
          done.textContent = `Saved as version ${saved?.version}.`;
          // Redraw from the service, so the form now names the new version.
          setTimeout(() => window.dispatchEvent(new HashChangeEvent("hashchange")), 600);
        },
        (err: unknown) => {
          save.disabled = false;
          if (reasonOf(err) === "STALE_CONFIGURATION") return say("Someone else changed the thresholds since this page was opened. Reload to see their change, then edit again.");
          const violations = fieldErrorsOf(err);
          if (violations.size === 0) return failed(form, err);
          let first: HTMLElement | undefined;
          for (const [field, description] of violations) {
            const f = fields.find((x) => field.endsWith(x.proto));
            const target = f ? inputs.get(f.key) : field === "reason" ? reason : undefined;
            const message = f ? form.querySelector<HTMLElement>(`#t-${f.key}-error`) : error;
            if (message) {
              message.textContent = `${f?.label.split(":")[0] ?? field} ${description}.`;
              message.hidden = false;
            }
            target?.setAttribute("aria-invalid", "true");
            first ??= target;
          }
          first?.focus();
        },
      );
  });

  const overrides = Object.entries(config?.marketOverrides ?? {});
  const choose = h(
    "form",
    { class: "filters", "aria-label": "Choose what to edit" },
    h("div", {}, h("label", { for: "t-market" }, "Market override (empty: all markets)"), h("input", { id: "t-market", name: "market", value: market, size: "4", maxlength: "2", placeholder: "DE" })),
    h("div", {}, h("button", { type: "submit", class: "secondary" }, "Edit")),
  );
  choose.addEventListener("submit", (e) => {
    e.preventDefault();
    const m = String(new FormData(choose).get("market") ?? "").trim().toUpperCase();
    location.hash = m ? `#/thresholds?market=${encodeURIComponent(m)}` : "#/thresholds";
  });
  root.append(
    h("h1", { tabindex: "-1" }, "Thresholds"),
    h("div", { class: "grid" }, h("section", { class: "panel", "aria-labelledby": "edit-title" }, h("h2", { id: "edit-title" }, market ? `Edit the ${market} override` : "Edit"), choose, form), h(
      "section",
      { class: "panel", "aria-labelledby": "current-title" },
      h("h2", { id: "current-title" }, "In force"),
      h("p", {}, `Version ${version}${config?.createTime ? `, set ${time(config.createTime)} by ${config.principal}` : " (built-in defaults)"}${config?.reason ? `: “${config.reason}”` : ""}.`),
      table(market ? `Effective values in ${market}` : "Effective values", ["Threshold", "Value"], fields.map((f) => [f.proto, String(effective?.[f.key] ?? "—")])),
      table("Market overrides", ["Market", "Values"], overrides.map(([m, t]) => [h("a", { href: `#/thresholds?market=${m}` }, m), summary(t)]), "none."),
    )),
    h(
      "section",
      { class: "panel", "aria-labelledby": "revisions-title" },
      h("h2", { id: "revisions-title" }, "Revision history"),
      table(
        "Revisions, newest first",
        ["Version", "Time (UTC)", "Principal", "Reason", "Values"],
        revisions.map((r) => [String(r.version), time(r.createTime), r.principal, r.reason, summary(r.values)]),
        "no change yet: the built-in defaults apply.",
      ),
    ),
  );
}
