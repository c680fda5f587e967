import { create } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { canonicalJson } from "../domain/canonical-json.js";
import type * as domain from "../domain/session.js";
import {
  DeviceSignalsSchema,
  IdentitySchema,
  PostalAddressSchema,
  type DeviceSignals,
  type Identity,
} from "../../gen/sessionflow/v1/identity_pb.js";
import {
  Disposition,
  SessionOrigin,
  SessionSchema,
  SessionState,
  SubmissionSchema,
  type Session,
} from "../../gen/sessionflow/v1/session_pb.js";
import { AuditRecordSchema, type AuditRecord } from "../../gen/sessionflow/v1/audit_pb.js";

/** Proto <-> domain for the session resource. Proto enums map by name, so the two never drift silently. */

export const stateToProto: Record<domain.SessionState, SessionState> = {
  OPEN: SessionState.OPEN,
  ANALYSING: SessionState.ANALYSING,
  WARNING: SessionState.WARNING,
  RESOLVED: SessionState.RESOLVED,
  FAILED: SessionState.FAILED,
};

export const stateFromProto = new Map<SessionState, domain.SessionState>(
  Object.entries(stateToProto).map(([name, value]) => [value, name as domain.SessionState]),
);

export const dispositionToProto: Record<domain.Disposition, Disposition> = {
  CREATED: Disposition.CREATED,
  CONTINUED: Disposition.CONTINUED,
  REPLACED_EXPIRED: Disposition.REPLACED_EXPIRED,
  REPLACED_UNKNOWN: Disposition.REPLACED_UNKNOWN,
};

const originToProto: Record<domain.SessionOrigin, SessionOrigin> = {
  SUBMISSION: SessionOrigin.SUBMISSION,
  LINK: SessionOrigin.LINK,
  TRANSFER: SessionOrigin.TRANSFER,
};

export function identityFromProto(identity: Identity | undefined): domain.Identity {
  if (!identity) return {};
  const out: domain.Identity = {};
  if (identity.fullName) out.fullName = identity.fullName.trim();
  if (identity.email) out.email = identity.email.trim();
  if (identity.phone) out.phone = identity.phone.trim();
  if (identity.dateOfBirth) out.dateOfBirth = identity.dateOfBirth;
  if (identity.address) {
    const a = identity.address;
    out.address = {
      lines: [...a.lines],
      locality: a.locality,
      administrativeArea: a.administrativeArea,
      postalCode: a.postalCode,
      regionCode: a.regionCode,
    };
  }
  return out;
}

export function deviceFromProto(device: DeviceSignals | undefined): domain.DeviceSignals | undefined {
  if (!device) return undefined;
  const out: domain.DeviceSignals = { automationFlags: [...device.automationFlags] };
  if (device.deviceId) out.deviceId = device.deviceId;
  if (device.ipAddress) out.ipAddress = device.ipAddress;
  if (device.userAgent) out.userAgent = device.userAgent;
  return out;
}

export function identityToProto(identity: domain.Identity): Identity {
  return create(IdentitySchema, {
    fullName: identity.fullName ?? "",
    email: identity.email ?? "",
    phone: identity.phone ?? "",
    dateOfBirth: identity.dateOfBirth ?? "",
    ...(identity.address ? { address: create(PostalAddressSchema, identity.address) } : {}),
  });
}

export function sessionToProto(session: domain.Session, replacedBy?: string): Session {
  return create(SessionSchema, {
    id: session.id,
    workflow: session.workflow,
    market: session.market,
    state: stateToProto[session.state],
    origin: originToProto[session.origin],
    createTime: timestampFromDate(session.createTime),
    updateTime: timestampFromDate(session.updateTime),
    expireTime: timestampFromDate(session.expireTime),
    replaces: session.replaces ?? "",
    replacedBy: replacedBy ?? "",
    identity: identityToProto(session.identity),
    submissions: session.submissions.map((s) =>
      create(SubmissionSchema, {
        index: s.index,
        requestId: s.requestId,
        submitTime: timestampFromDate(s.submitTime),
        identity: identityToProto(s.identity),
        ...(s.device ? { device: create(DeviceSignalsSchema, s.device) } : {}),
        step: s.step,
        complete: s.complete,
      }),
    ),
    version: BigInt(session.version),
    currentStep: session.currentStep,
    inputComplete: session.inputComplete,
  });
}

export function auditRecordToProto(sessionId: string, record: domain.AuditRecord): AuditRecord {
  return create(AuditRecordSchema, {
    sessionId,
    sequence: BigInt(record.sequence),
    recordTime: timestampFromDate(record.recordTime),
    requestId: record.requestId,
    procedure: record.procedure,
    principal: record.principal,
    provided: toStruct(record.provided),
    returned: toStruct(record.returned),
    previousHash: record.previousHash,
    hash: record.hash,
  });
}

/** Dates become ISO strings and undefined fields vanish, as in the hashed canonical form. */
function toStruct(value: Record<string, unknown>): JsonObject {
  return JSON.parse(canonicalJson(value)) as JsonObject;
}
