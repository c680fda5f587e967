import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Identity, IdentitySchema } from "../../../gen/sessionflow/v1/identity_pb.js";
import { byId } from "../../shared/dom.js";

/** The page's input steps, in order; the last one completes the session's input. */
export const steps = ["name", "contact", "address"] as const;
export type Step = (typeof steps)[number];

export function prefill(identity: Identity | undefined) {
  if (!identity) return;
  const set = (id: string, value: string | undefined) => {
    if (value) byId<HTMLInputElement>(id).value = value;
  };
  set("fullName", identity.fullName);
  set("dateOfBirth", identity.dateOfBirth);
  set("email", identity.email);
  set("phone", identity.phone);
  set("line1", identity.address?.lines[0]);
  set("locality", identity.address?.locality);
  set("postalCode", identity.address?.postalCode);
  set("regionCode", identity.address?.regionCode);
}

function value(id: string): string {
  return byId<HTMLInputElement>(id).value.trim();
}

/** What one step submits; empty fields are left out, so they never overwrite earlier values. */
export function identityFor(step: Step): MessageInitShape<typeof IdentitySchema> {
  const only = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ""));
  if (step === "name") return only({ fullName: value("fullName"), dateOfBirth: value("dateOfBirth") });
  if (step === "contact") return only({ email: value("email"), phone: value("phone") });
  const address = only({ locality: value("locality"), postalCode: value("postalCode"), regionCode: value("regionCode").toUpperCase() });
  const lines = value("line1") ? [value("line1")] : [];
  return lines.length || Object.keys(address).length ? { address: { lines, ...address } } : {};
}

/** Where the service's field names (identity.email) point on the page. */
const fieldInputs: Record<string, string> = {
  "identity.full_name": "fullName",
  "identity.date_of_birth": "dateOfBirth",
  "identity.email": "email",
  "identity.phone": "phone",
};

/** Marks the fields the service refused (aria-invalid, a message tied by aria-describedby) and focuses the first. */
export function showFieldErrors(form: HTMLFormElement, errors: Map<string, string>) {
  for (const p of form.querySelectorAll<HTMLElement>(".field-error")) p.hidden = true;
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  let first: HTMLInputElement | undefined;
  for (const [field, description] of errors) {
    const id = fieldInputs[field] ?? (field.startsWith("identity.address") ? "line1" : undefined);
    if (!id) continue;
    const input = byId<HTMLInputElement>(id);
    const message = byId(id === "line1" ? "address-error" : `${id}-error`);
    input.setAttribute("aria-invalid", "true");
    message.textContent = `Please check this field: it ${description}.`;
    message.hidden = false;
    first ??= input;
  }
  first?.focus();
}

