import { invalid, type FieldViolation } from "../domain/errors.js";
import { isUuid } from "../domain/ids.js";

/**
 * Collects every problem in a request before refusing it, so the caller sees all bad
 * fields at once. Descriptions never quote the value: it may be personal data.
 */
export interface Validator {
  check(ok: boolean, field: string, description: string): void;
  uuid(value: string, field: string, required?: boolean): void;
  text(value: string, field: string, maxLength: number): void;
  throwIfInvalid(): void;
  readonly violations: FieldViolation[];
}

const workflowPattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
// Control characters have no place in identity data and break log and CSV consumers downstream.
const controlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });

export function createValidator(): Validator {
  const violations: FieldViolation[] = [];
  const v: Validator = {
    violations,
    check(ok, field, description) {
      if (!ok) violations.push({ field, description });
    },
    uuid(value, field, required = false) {
      if (value === "") v.check(!required, field, "is required");
      else v.check(isUuid(value), field, "must be a UUID in canonical 8-4-4-4-12 form");
    },
    text(value, field, maxLength) {
      v.check(value.length <= maxLength, field, `must be at most ${maxLength} characters`);
      v.check(!controlChars.test(value), field, "must not contain control characters");
    },
    throwIfInvalid() {
      if (violations.length > 0) throw invalid(violations);
    },
  };
  return v;
}

export function isWorkflowName(value: string): boolean {
  return workflowPattern.test(value);
}

/** An assigned ISO 3166-1 alpha-2 code: two capitals that Intl knows as a region. */
export function isRegionCode(value: string): boolean {
  return /^[A-Z]{2}$/.test(value) && regionNames.of(value) !== value;
}

/** The one check most read RPCs need: a well-formed session id. */
export function requireSessionId(sessionId: string): void {
  const v = createValidator();
  v.uuid(sessionId, "session_id", true);
  v.throwIfInvalid();
}
