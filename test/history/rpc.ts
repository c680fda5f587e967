import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type CallOptions, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SessionState, type Session } from "../../gen/sessionflow/v1/session_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { WarningScreenStatus } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import type { Instance } from "./cluster.js";
import type { Expectation, Fields, History, Operation, OpKind, Pattern } from "./history.js";
import type { Random } from "./random.js";

/** HTTP/1.1 and HTTP/2 mixed, over the three protocols the one port serves. */
export const protocols = ["connect-json-h1", "connect-binary-h2", "grpc-h2", "grpc-web-h1"] as const;
export type Protocol = (typeof protocols)[number];

export interface Services {
  submissions: Client<typeof SubmissionService>;
  sessions: Client<typeof SessionService>;
  acknowledgements: Client<typeof AcknowledgementService>;
  outcomes: Client<typeof OutcomeService>;
  events: Client<typeof EventService>;
  decisions: Client<typeof DecisionService>;
  checks: Client<typeof CheckService>;
  billing: Client<typeof BillingService>;
  clientAuth: Client<typeof ClientAuthService>;
  configuration: Client<typeof ConfigurationService>;
}

export interface Endpoint {
  instance: number;
  protocol: Protocol;
  services: Services;
}

function transportFor(protocol: Protocol, baseUrl: string): Transport {
  switch (protocol) {
    case "connect-json-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false });
    case "connect-binary-h2":
      return createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true });
    case "grpc-h2":
      return createGrpcTransport({ baseUrl });
    case "grpc-web-h1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
  }
}

function servicesOver(transport: Transport): Services {
  return {
    submissions: createClient(SubmissionService, transport),
    sessions: createClient(SessionService, transport),
    acknowledgements: createClient(AcknowledgementService, transport),
    outcomes: createClient(OutcomeService, transport),
    events: createClient(EventService, transport),
    decisions: createClient(DecisionService, transport),
    checks: createClient(CheckService, transport),
    billing: createClient(BillingService, transport),
    clientAuth: createClient(ClientAuthService, transport),
    configuration: createClient(ConfigurationService, transport),
  };
}

/** One call as the history records it; `invoke` sends it through the given services. */
export interface CallSpec<T> {
  kind: OpKind;
  tenant: string;
  sessionId?: string;
  requestId?: string;
  request: Record<string, unknown>;
  /** The bearer credential: the tenant's API key or a client token; none for ExchangeLinkToken. */
  auth?: string;
  clientToken?: boolean;
  expect?: Expectation;
  invoke(services: Services, options: CallOptions): Promise<T>;
  fields(response: T): Fields;
}

export interface CallMeta {
  actor: string;
  pattern: Pattern;
  group?: number;
  /** Abort the call this many ms after sending it (pattern "cut"). */
  cutAfterMs?: number;
}

export type Answer<T> =
  | { ok: true; value: T; op: Operation }
  | { ok: false; code: string; reason: string; cut: boolean; op: Operation };

export interface Rpc {
  readonly endpoints: readonly Endpoint[];
  readonly instances: number;
  /** A random protocol on a random instance other than `avoid`. */
  pick(random: Random, avoid?: number): Endpoint;
  call<T>(spec: CallSpec<T>, endpoint: Endpoint, meta: CallMeta): Promise<Answer<T>>;
}

/** Unary calls give up after this long; the checker never waits unboundedly. */
export const callTimeoutMs = 10_000;

export function createRpc(instances: readonly Instance[], history: History): Rpc {
  const endpoints = instances.flatMap((instance) =>
    protocols.map((protocol) => ({ instance: instance.index, protocol, services: servicesOver(transportFor(protocol, instance.baseUrl)) })),
  );
  return {
    endpoints,
    instances: instances.length,
    pick(random, avoid) {
      const choices = endpoints.filter((e) => e.instance !== avoid || instances.length === 1);
      return random.pick(choices);
    },
    async call(spec, endpoint, meta) {
      const op = history.begin({
        kind: spec.kind,
        actor: meta.actor,
        tenant: spec.tenant,
        instance: endpoint.instance,
        protocol: endpoint.protocol,
        ...(spec.sessionId ? { sessionId: spec.sessionId } : {}),
        ...(spec.requestId ? { requestId: spec.requestId } : {}),
        pattern: meta.pattern,
        ...(meta.group !== undefined ? { group: meta.group } : {}),
        request: spec.request,
        ...(spec.clientToken ? { clientToken: true } : {}),
        ...(spec.expect ? { expect: spec.expect } : {}),
      });
      const controller = new AbortController();
      const timer = meta.cutAfterMs !== undefined ? setTimeout(() => controller.abort(), meta.cutAfterMs) : undefined;
      const headers: Record<string, string> = { "x-request-id": `op-${op.id}` };
      if (spec.auth) headers["authorization"] = `Bearer ${spec.auth}`;
      try {
        const value = await spec.invoke(endpoint.services, { headers, timeoutMs: callTimeoutMs, signal: controller.signal });
        history.end(op, { ok: true, fields: spec.fields(value) });
        return { ok: true, value, op };
      } catch (e) {
        const error = ConnectError.from(e);
        const reason = error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
        const cut = controller.signal.aborted && error.code === Code.Canceled;
        const code = Code[error.code] ?? String(error.code);
        history.end(op, { ok: false, code, reason, message: error.rawMessage.slice(0, 200), ...(cut ? { cut: true } : {}) });
        return { ok: false, code, reason, cut, op };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The fields of a session every answer that holds one records. */
export function sessionFields(s: Session | undefined): Fields {
  if (!s) return {};
  const screens = s.warningScreens.map((w) => `${w.id}:${WarningScreenStatus[w.status]}`).join(",");
  return {
    sessionId: s.id,
    state: SessionState[s.state],
    version: Number(s.version),
    ...(s.expireTime ? { expireMs: timestampMs(s.expireTime) } : {}),
    lastEventSequence: Number(s.lastEventSequence),
    inputComplete: s.inputComplete,
    forcedRetries: s.forcedRetries,
    ...(screens ? { screens } : {}),
    ...(s.decision ? { decision: Decision[s.decision.decision] } : {}),
    ...(s.decision?.reviewer ? { reviewer: s.decision.reviewer } : {}),
    ...(s.accountId ? { accountId: s.accountId } : {}),
  };
}
