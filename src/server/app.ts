import type { DescService } from "@bufbuild/protobuf";
import type { Code, ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Tracer } from "@opentelemetry/api";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { systemClock, type Clock } from "../domain/clock.js";
import { createUuidV7Generator, type IdGenerator } from "../domain/ids.js";
import { createPolicies, type Policies } from "../domain/policy.js";
import { createBuiltInAnalyzers, defaultDisposableDomains, type Analyzer } from "../domain/analyzers.js";
import { defaultThresholds } from "../domain/thresholds.js";
import { createEventHub } from "../domain/event-hub.js";
import type { DeliveryRate } from "../domain/delivery-budget.js";
import { withCallChecks } from "../domain/call-checked-store.js";
import { createDecisionUseCases } from "../domain/decisions.js";
import { createLinkUseCases } from "../domain/links.js";
import { createTokenService } from "../domain/tokens.js";
import { createClientAuthService } from "../service/client-auth-service.js";
import { createViewer } from "../service/client-view.js";
import { createSessionUseCases } from "../domain/sessions.js";
import { createCheckService } from "../service/check-service.js";
import { createConfigurationService } from "../service/configuration-service.js";
import { createDecisionService } from "../service/decision-service.js";
import { createAcknowledgementService } from "../service/acknowledgement-service.js";
import { createEventService } from "../service/event-service.js";
import { createOutcomeService } from "../service/outcome-service.js";
import { createBillingService } from "../service/billing-service.js";
import { createMetricsService } from "../service/metrics-service.js";
import { createMetricsUseCases } from "../domain/metrics-use-cases.js";
import { createAccessTable } from "../service/scopes.js";
import { createSessionService } from "../service/session-service.js";
import { createSubmissionService, dispositionHeader } from "../service/submission-service.js";
import type { Store } from "../domain/store.js";
import { Health } from "../../gen/health/v1/health_pb.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { withCors } from "./cors.js";
import { createHealthService, createHealthState, ServingStatus, type HealthState } from "./health.js";
import { defaultAuthLimits, type AuthLimits } from "./auth-limits.js";
import { createAuthInterceptor } from "./interceptors/auth.js";
import { createScopeInterceptor } from "./interceptors/scope.js";
import { createDeadlineInterceptor } from "./interceptors/deadline.js";
import { createErrorInterceptor } from "./interceptors/errors.js";
import { createLimitsInterceptor } from "./interceptors/limits.js";
import { defaultCallLimits, type CallLimits } from "./call-limits.js";
import { createLoggingInterceptor } from "./interceptors/logging.js";
import { createConnectionGate } from "./connection-gate.js";
import { defaultConnectionLimits, type ConnectionLimits } from "./connection-limits.js";
import { createH2cServer } from "./h2c-port.js";
import { createNativeGrpcServer } from "./grpc-native/native-server.js";
import { createRequestInputInterceptor } from "./interceptors/request-input.js";
import { createNodeAdapter } from "./node-adapter.js";
import { createOnePortServer, type OnePortServer } from "./one-port.js";
import { createProbes } from "./probes.js";
import {
  createReflection,
  createReflectionService,
  createReflectionV1alphaService,
  reflectionServices,
  type Reflection,
} from "./reflection.js";
import { createMetricsInterceptor } from "./interceptors/metrics.js";
import { createTracingInterceptor } from "./interceptors/tracing.js";
import { watchFeed } from "./telemetry/feed-metrics.js";
import { createMetrics } from "./telemetry/metrics.js";
import { withMetricsEndpoint } from "./telemetry/metrics-endpoint.js";
import { observeAnalyzers } from "./telemetry/observed-analyzers.js";
import { observeStore } from "./telemetry/observed-store.js";
import { createHostedPages } from "./hosted-pages.js";
import { createLogSampler } from "./log-sampler.js";
import { loadStaticFiles } from "./static-files.js";

export interface AppOptions {
  store: Store;
  logger: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  policies?: Policies;
  /** Largest accepted request message; SPEC §6 caps it at 1 MiB. */
  maxRequestBytes?: number;
  corsOrigins?: readonly string[] | "*";
  /** Analyzers run when input completes; the built-in ones when unset. */
  analyzers?: readonly Analyzer[];
  /** The default warn threshold for tenants that have not configured one. */
  warnThreshold?: number;
  /** Throwaway mailbox domains, in addition to the built-in list. */
  disposableDomains?: readonly string[];
  analyzerTimeoutMs?: number;
  /** Idle WatchEvents streams get a heartbeat this often. */
  heartbeatMs?: number;
  /** How often expired open sessions are failed as ABANDONED; 0 turns the sweep off. */
  sweepIntervalMs?: number;
  /** Events a slow subscriber may have queued before it is disconnected. */
  maxQueuedEvents?: number;
  maxStreamsPerTenant?: number;
  /** Streams a tenant's front ends (client tokens) may hold together, apart from the tenant's own. */
  maxClientStreamsPerTenant?: number;
  /** Streams one session's front ends may hold. */
  maxClientStreamsPerSession?: number;
  /** Messages a tenant's streams may be sent, together (its front ends' streams have as many of their own). */
  streamMessages?: DeliveryRate;
  /** Where front ends live; links are {publicBaseUrl}/s/{token}. */
  publicBaseUrl?: string;
  /** Signs client tokens and derives link tokens; every replica must share it. Random when unset. */
  tokenSecret?: string;
  /** Earlier secrets, for verification only: client tokens and links they made keep working. */
  previousTokenSecrets?: readonly string[];
  clientTokenTtlSeconds?: number;
  /** Timeouts and caps for every connection on both ports; defaults for what is unset. */
  connections?: Partial<ConnectionLimits>;
  /** Open grpc.health.v1.Health/Watch streams, all clients together. */
  maxHealthWatches?: number;
  /** Back-off and log limits for failed authentication, and the API key cache; defaults for what is unset. */
  auth?: Partial<AuthLimits>;

  /**
   * The built hosted page and console (`npm run build:web`, dist/web): served at /s/{token},
   * /console and /assets/. Unset or missing, those paths answer 503 saying how to build them.
   */
  webRoot?: string;

  /** Per-tenant and per-client-token budgets, and the per-process cap on calls; defaults for what is unset. */
  callLimits?: Partial<CallLimits>;
  /** Prometheus series and GET /metrics on the main port; on unless false. */
  metrics?: boolean;
  /** When set, GET /metrics wants `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Spans for every RPC, store call and analyzer (telemetry/tracing.ts makes one); no tracing when unset. */
  tracer?: Tracer;
}

export interface App {
  /** The main port: HTTP/1.1 and cleartext HTTP/2, every protocol. */
  server: OnePortServer;
  /** An optional second port for cleartext HTTP/2 only, without the main port's routing relay. */
  h2c: OnePortServer;
  /** An optional native gRPC port on @grpc/grpc-js, hosting the same services through the same interceptors. */
  grpc: OnePortServer;
  health: HealthState;
  /** The reflection answers (v1 and v1alpha), for any other port that serves them. */
  reflection: Reflection;
  /** Runs one sweep of expired sessions now; returns how many it closed. */
  sweep(): Promise<number>;
  /** Open event streams, all tenants. */
  openStreams(): number;
  /** Marks the app not serving, ends streams, and closes the port after in-flight calls finish. */
  shutdown(graceMs: number): Promise<void>;
}

/** A service implementation together with its descriptor, so routing and reflection share one list. */
interface Registration {
  service: DescService;
  impl: ServiceImpl<DescService>;
}

export function createApp(opts: AppOptions): App {
  const clock = opts.clock ?? systemClock;
  const disposable = new Set([...defaultDisposableDomains, ...(opts.disposableDomains ?? []).map((d) => d.toLowerCase())]);
  const ids = opts.ids ?? createUuidV7Generator(() => clock.now().getTime());
  const policies = opts.policies ?? createPolicies();
  const metrics = opts.metrics === false ? undefined : createMetrics({ feedHealthy: () => opts.store.events.healthy() });
  const observers = { ...(metrics ? { metrics } : {}), ...(opts.tracer ? { tracer: opts.tracer } : {}) };
  const observed = observeStore(opts.store, observers);
  // Handlers reach the store only through this, so a call past its deadline stops at its next store call.
  const store = withCallChecks(observed);
  const sessions = createSessionUseCases({
    store,
    clock,
    ids,
    policies,
    analysis: {
      analyzers: observeAnalyzers(opts.analyzers ?? createBuiltInAnalyzers(disposable), observers),
      timeoutMs: opts.analyzerTimeoutMs ?? 2000,
    },
    thresholds: { ...defaultThresholds, ...(opts.warnThreshold !== undefined ? { warn: opts.warnThreshold } : {}) },
    disposableDomains: disposable,
  });
  const decisions = createDecisionUseCases({ sessions, store, clock });
  const tokens = createTokenService(
    opts.tokenSecret ? { current: opts.tokenSecret, previous: opts.previousTokenSecrets ?? [] } : undefined,
  );
  const links = createLinkUseCases({
    store,
    clock,
    ids,
    policies,
    tokens,
    sessions,
    publicBaseUrl: opts.publicBaseUrl ?? "http://localhost:8080",
    clientTokenTtlMs: (opts.clientTokenTtlSeconds ?? 900) * 1000,
  });
  const viewer = createViewer((tenantId) => sessions.risk.configFor(tenantId));
  const hub = createEventHub({
    feed: observed.events,
    ...(opts.maxQueuedEvents ? { maxQueue: opts.maxQueuedEvents } : {}),
    ...(opts.maxStreamsPerTenant ? { maxSubscribersPerTenant: opts.maxStreamsPerTenant } : {}),
    ...(opts.maxClientStreamsPerTenant ? { maxClientSubscribersPerTenant: opts.maxClientStreamsPerTenant } : {}),
    ...(opts.maxClientStreamsPerSession ? { maxClientSubscribersPerSession: opts.maxClientStreamsPerSession } : {}),
    ...(opts.streamMessages ? { deliveries: opts.streamMessages } : {}),
  });
  const shutdown = new AbortController();
  // Every open call listens on this one signal; thousands of streams are expected, not a leak.
  setMaxListeners(0, shutdown.signal);

  const api: Registration[] = [
    { service: SubmissionService, impl: createSubmissionService(sessions, viewer) },
    { service: SessionService, impl: createSessionService(sessions, links, viewer) },
    { service: ClientAuthService, impl: createClientAuthService(links) },
    { service: AcknowledgementService, impl: createAcknowledgementService(sessions, viewer) },
    { service: OutcomeService, impl: createOutcomeService(sessions, viewer) },
    {
      service: EventService,
      impl: createEventService({
        sessions,
        hub,
        clock,
        heartbeatMs: opts.heartbeatMs ?? 15_000,
        shuttingDown: () => shutdown.signal.aborted,
        isCursor: opts.store.events.isCursor,
        viewer,
      }),
    },
    { service: DecisionService, impl: createDecisionService(decisions) },
    { service: CheckService, impl: createCheckService(decisions, viewer) },
    { service: ConfigurationService, impl: createConfigurationService(decisions) },
    { service: BillingService, impl: createBillingService(store) },
    { service: MetricsService, impl: createMetricsService(createMetricsUseCases({ store, clock })) },
  ];
  const health = createHealthState(api.map((r) => r.service.typeName));
  const reflection = createReflection([...api.map((r) => r.service), Health, ...reflectionServices]);
  const [reflectionV1, reflectionV1alpha] = reflectionServices as [DescService, DescService];
  const registrations: Registration[] = [
    ...api,
    { service: Health, impl: createHealthService(health, opts.maxHealthWatches) },
    { service: reflectionV1, impl: createReflectionService(reflection) as ServiceImpl<DescService> },
    { service: reflectionV1alpha, impl: createReflectionV1alphaService(reflection) as ServiceImpl<DescService> },
  ];

  const routes = (router: ConnectRouter) => {
    for (const { service, impl } of registrations) router.service(service, impl);
  };
  const accessOf = createAccessTable([Health, ...reflectionServices, ClientAuthService]);
  // Authentication comes first, so a flood of bad credentials is logged by its own limits
  // rather than one line per attempt; authorization comes after logging, like any other refusal.
  // Both the main port and the native gRPC port run every call through this one list.
  // Tracing and metrics come first, so they see every call, refusals included.
  const callLimits = { ...defaultCallLimits, ...opts.callLimits };
  const interceptors = [
    ...(opts.tracer ? [createTracingInterceptor(opts.tracer)] : []),
    ...(metrics ? [createMetricsInterceptor(metrics)] : []),
    createAuthInterceptor({
      apiKeys: observed.apiKeys,
      accessOf,
      verifyClientToken: (token) => tokens.verifyClientToken(token, clock.now()),
      limits: { ...defaultAuthLimits, ...opts.auth },
      logger: opts.logger,
      now: () => clock.now().getTime(),
    }),
    createLoggingInterceptor(opts.logger),
    createErrorInterceptor(opts.logger),
    createScopeInterceptor(accessOf),
    createDeadlineInterceptor(shutdown.signal),
    // Inside the call scope, so it can charge each call the work it was billed (work-units.ts).
    createLimitsInterceptor(callLimits),
  ];
  const onRefused = metrics ? (procedure: string, code: Code) => metrics.rpcFinished(procedure, codeToString(code)) : undefined;
  const maxRequestBytes = opts.maxRequestBytes ?? 1024 * 1024;
  // What no RPC route takes: /metrics, then the hosted page and console, then the probes.
  const pages = createHostedPages({
    files: opts.webRoot ? loadStaticFiles(opts.webRoot) : undefined,
    fallback: createProbes({ health, store: opts.store }),
  });
  const fallback = metrics ? withMetricsEndpoint(pages, { metrics, ...(opts.metricsToken ? { token: opts.metricsToken } : {}) }) : pages;
  const handler = createNodeAdapter({
    logger: opts.logger,
    routes,
    readMaxBytes: maxRequestBytes,
    // As many bodies may be read at once as calls may be in progress: the same budget of memory.
    maxReading: callLimits.maxCalls,
    shutdownSignal: shutdown.signal,
    interceptors,
    fallback,
    // Requests Connect refuses before any interceptor runs (unreadable, oversized) count as RPCs too.
    ...(onRefused ? { onRefused } : {}),
  });
  const withBrowsers = withCors(handler, { origins: opts.corsOrigins ?? "*", exposeHeaders: [dispositionHeader] });
  const limits = { ...defaultConnectionLimits, ...opts.connections };
  // Both ports share one gate, so the connection cap counts them together.
  const connectionRefusals = createLogSampler({
    perKey: 1,
    lines: 1,
    trackedKeys: 1,
    now: () => performance.now(),
    onSuppressed: ({ suppressed }) => opts.logger.warn({ suppressed, windowMs: 60_000 }, "connections refused, not logged"),
  });
  const onConnectionRefused = () => {
    metrics?.connectionRefused();
    // Sampled: a refused connection costs nothing else, and a flood of them must not write a line each.
    if (connectionRefusals.admit("")) opts.logger.warn({ maxConnections: limits.maxConnections }, "connection refused: every connection has a call in progress");
  };
  const ports = { limits, gate: createConnectionGate({ ...limits, onRefused: onConnectionRefused }) };
  const server = createOnePortServer(withBrowsers, ports);
  const h2c = createH2cServer(withBrowsers, ports);
  const grpc = createNativeGrpcServer({
    services: registrations,
    interceptors: [createRequestInputInterceptor(maxRequestBytes), ...interceptors],
    shutdownSignal: shutdown.signal,
    logger: opts.logger,
    maxRequestBytes,
    ...(onRefused ? { onRefused } : {}),
    ...ports,
  });

  const sweep = () => sessions.sweepExpired(500);
  const sweepMs = opts.sweepIntervalMs ?? 5_000;
  const sweeper = sweepMs > 0
    ? setInterval(() => {
        sweep().then(
          (closed) => closed > 0 && opts.logger.info({ closed }, "expired sessions abandoned"),
          (err: unknown) => opts.logger.error({ err }, "sweep failed"),
        );
      }, sweepMs)
    : undefined;
  sweeper?.unref();
  const unwatchFeed = metrics && watchFeed(opts.store.events, metrics, clock);

  return {
    server,
    h2c,
    grpc,
    health,
    reflection,
    sweep,
    openStreams: () => hub.count(),
    async shutdown(graceMs) {
      clearInterval(sweeper);
      for (const name of health.all().keys()) health.set(name, ServingStatus.NOT_SERVING);
      const closing = Promise.all([server.close(graceMs), h2c.close(graceMs), grpc.close(graceMs)]);
      // Streams end now so their clients resume elsewhere; unary calls get the grace period.
      shutdown.abort();
      await closing;
      hub.close();
      unwatchFeed?.();
    },
  };
}
