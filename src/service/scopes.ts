import type { DescService } from "@bufbuild/protobuf";
import type { Scope } from "../domain/api-key.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";

export type Access = { scope: Scope; client: boolean; console: boolean } | "public";

interface ServiceAccess {
  service: DescService;
  scope: Scope;
  /** Methods that need a different scope than the service's. */
  methods?: Record<string, Scope>;
  /** Methods a front end's client token may call, for its own session only. */
  client?: string[];
  /** Methods a key with the `console` scope may call besides the keys with the method's own scope. */
  console?: string[];
}

/**
 * The operator console (SPEC §5) reads sessions, their timelines and audit trails, recovers
 * links, finalizes reviews and tunes thresholds. It never creates sessions, submits for users,
 * reports checks or reads billing: a leaked console key can do no more than an operator can.
 */
const protectedServices: ServiceAccess[] = [
  { service: SubmissionService, scope: "sessions", client: ["Submit"] },
  {
    service: SessionService,
    scope: "sessions",
    methods: { GetAuditTrail: "audit" },
    client: ["GetSession", "TransferSession"],
    console: ["GetSession", "ListSessions", "GetAuditTrail", "IssueLink"],
  },
  { service: AcknowledgementService, scope: "sessions", client: ["Acknowledge", "ListWarningScreens"] },
  { service: OutcomeService, scope: "sessions", client: ["GetOutcome", "ReportFailure"] },
  { service: EventService, scope: "sessions", client: ["WatchSession"], console: ["WatchSession"] },
  { service: DecisionService, scope: "sessions", console: ["ReviewSession"] },
  { service: CheckService, scope: "sessions", client: ["ReportCheckResult"] },
  { service: ConfigurationService, scope: "configuration", console: ["GetThresholds", "UpdateThresholds", "ListThresholdRevisions"] },
  { service: BillingService, scope: "billing" },
  // Aggregates only, never a session's data: a dashboard's key needs nothing else.
  { service: MetricsService, scope: "metrics", console: ["GetMetrics"] },
];

/**
 * Which scope each RPC needs. Deny by default: an RPC listed neither here nor as public
 * is refused, so a new service cannot ship unauthenticated by accident.
 */
export function createAccessTable(publicServices: readonly DescService[]) {
  const table = new Map<string, Access>();
  for (const { service, scope, methods = {}, client = [], console = [] } of protectedServices) {
    for (const method of service.methods) {
      table.set(`${service.typeName}/${method.name}`, {
        scope: methods[method.name] ?? scope,
        client: client.includes(method.name),
        console: console.includes(method.name),
      });
    }
  }
  for (const service of publicServices) {
    for (const method of service.methods) table.set(`${service.typeName}/${method.name}`, "public");
  }
  return (service: string, method: string): Access | undefined => table.get(`${service}/${method}`);
}
