import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
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
  /** At most `max` entries. */
  count(values: readonly unknown[], field: string, max: number): void;
  /** A google.protobuf.Timestamp the RFC 3339 form can hold (years 1 to 9999, nanos in range), or unset; false if refused. */
  timestamp(value: Timestamp | undefined, field: string): boolean;
  /**
   * A non-negative google.protobuf.Duration, nanos in range, of at least `minSeconds`: its
   * length in seconds, or undefined when unset or refused.
   */
  duration(value: Duration | undefined, field: string, minSeconds: number): number | undefined;
  throwIfInvalid(): void;
  readonly violations: FieldViolation[];
}

const workflowPattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
// Control characters have no place in identity data and break log and CSV consumers downstream.
const controlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range google/protobuf/timestamp.proto allows.
const minTimestampSeconds = -62_135_596_800n;
const maxTimestampSeconds = 253_402_300_799n;
const maxNanos = 999_999_999;

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
    count(values, field, max) {
      v.check(values.length <= max, field, `must have at most ${max} entries`);
    },
    timestamp(value, field) {
      if (!value) return true;
      const ok = value.seconds >= minTimestampSeconds && value.seconds <= maxTimestampSeconds && value.nanos >= 0 && value.nanos <= maxNanos;
      v.check(ok, field, "must be a time from year 1 to 9999 with nanos from 0 to 999,999,999");
      return ok;
    },
    duration(value, field, minSeconds) {
      if (!value) return undefined;
      // A positive Duration has non-negative seconds and nanos below one second; anything else is malformed.
      const wellFormed = value.seconds >= 0n && value.nanos >= 0 && value.nanos <= maxNanos;
      const seconds = Number(value.seconds) + value.nanos / 1e9;
      v.check(wellFormed, field, "must be a positive duration with nanos from 0 to 999,999,999");
      v.check(!wellFormed || seconds >= minSeconds, field, `must be at least ${minSeconds} seconds`);
      return wellFormed && seconds >= minSeconds ? seconds : undefined;
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
  if (!/^[A-Z]{2}$/.test(value)) return false;
  // Asking ICU costs more than the rest of a Submit's validation; there are only 676 two-letter codes to remember.
  let assigned = regionCodes.get(value);
  if (assigned === undefined) regionCodes.set(value, (assigned = regionNames.of(value) !== value));
  return assigned;
}
const regionCodes = new Map<string, boolean>();

/** The one check most read RPCs need: a well-formed session id. */
export function requireSessionId(sessionId: string): void {
  const v = createValidator();
  v.uuid(sessionId, "session_id", true);
  v.throwIfInvalid();
}
