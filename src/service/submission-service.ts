import type { ServiceImpl } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import type { SessionUseCases } from "../domain/sessions.js";
import { SubmissionService, type SubmitRequest } from "../../gen/sessionflow/v1/submission_service_pb.js";
import type { Viewer } from "./client-view.js";
import { principalFor } from "./context.js";
import { deviceFromProto, dispositionToProto, identityFromProto, sessionToProto } from "./mapping.js";
import { createValidator, isRegionCode, isWorkflowName, type Validator } from "./validation.js";

/** The response header that carries the HTTP-style 201/200 split (SPEC §1). */
export const dispositionHeader = "sessionflow-disposition";

export function createSubmissionService(sessions: SessionUseCases, viewer: Viewer): ServiceImpl<typeof SubmissionService> {
  return {
    async submit(req, ctx) {
      const principal = principalFor(ctx, req.sessionId);
      validateSubmit(req);
      const clientRequestId = req.requestId !== "";
      const result = await sessions.submit({
        tenantId: principal.tenantId,
        principal: principal.name,
        procedure: `/${SubmissionService.typeName}/${SubmissionService.method.submit.name}`,
        ...(req.sessionId ? { sessionId: req.sessionId.toLowerCase() } : {}),
        workflow: req.workflow,
        market: req.market,
        requestId: clientRequestId ? req.requestId.toLowerCase() : randomUUID(),
        clientRequestId,
        identity: identityFromProto(req.identity),
        ...(req.device ? { device: deviceFromProto(req.device)! } : {}),
        step: req.step,
        complete: req.complete,
      });
      ctx.responseHeader.set(dispositionHeader, result.disposition === "CONTINUED" ? "continued" : "created");
      return {
        session: (await viewer(ctx)).session(sessionToProto(result.session)),
        disposition: dispositionToProto[result.disposition],
        requestId: result.requestId,
        replayed: result.replayed,
      };
    },
  };
}

function validateSubmit(req: SubmitRequest): void {
  const v = createValidator();
  v.uuid(req.sessionId, "session_id");
  v.uuid(req.requestId, "request_id");
  v.check(isWorkflowName(req.workflow), "workflow", "is required: 1-64 lowercase letters, digits and hyphens");
  v.check(req.market === "" || isRegionCode(req.market), "market", "must be an ISO 3166-1 alpha-2 code such as GB");
  v.text(req.step, "step", 64);
  validateIdentity(v, req);
  validateDevice(v, req);
  v.throwIfInvalid();
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

function isPastDate(value: string): boolean {
  const m = datePattern.exec(value);
  if (!m) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) && date.getTime() <= Date.now();
}

function validateIdentity(v: Validator, req: SubmitRequest): void {
  const id = req.identity;
  if (!id) return;
  v.text(id.fullName, "identity.full_name", 200);
  v.text(id.email, "identity.email", 254);
  v.check(id.email === "" || id.email.includes("@"), "identity.email", "must be an email address");
  v.text(id.phone, "identity.phone", 32);
  v.check(id.phone === "" || /^\+?[0-9 ()./-]{4,32}$/.test(id.phone), "identity.phone", "must be a phone number");
  v.check(id.dateOfBirth === "" || isPastDate(id.dateOfBirth), "identity.date_of_birth", "must be a past date as YYYY-MM-DD");
  const a = id.address;
  if (a) {
    v.check(a.lines.length <= 5, "identity.address.lines", "must have at most 5 lines");
    a.lines.forEach((line, i) => v.text(line, `identity.address.lines[${i}]`, 200));
    v.text(a.locality, "identity.address.locality", 100);
    v.text(a.administrativeArea, "identity.address.administrative_area", 100);
    v.text(a.postalCode, "identity.address.postal_code", 20);
    v.check(a.regionCode === "" || isRegionCode(a.regionCode), "identity.address.region_code", "must be an ISO 3166-1 alpha-2 code");
  }
}

function validateDevice(v: Validator, req: SubmitRequest): void {
  const d = req.device;
  if (!d) return;
  v.text(d.deviceId, "device.device_id", 128);
  v.text(d.ipAddress, "device.ip_address", 45);
  v.check(d.ipAddress === "" || isIP(d.ipAddress) !== 0, "device.ip_address", "must be an IPv4 or IPv6 address");
  v.text(d.userAgent, "device.user_agent", 512);
  v.check(d.automationFlags.length <= 16, "device.automation_flags", "must have at most 16 flags");
  d.automationFlags.forEach((f, i) => v.text(f, `device.automation_flags[${i}]`, 64));
}
