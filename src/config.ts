import { scopes, type Scope } from "./domain/api-key.js";
import { defaultDeliveryRate, type DeliveryRate } from "./domain/delivery-budget.js";
import { defaultLifetimePolicy, type LifetimePolicy } from "./domain/policy.js";
import { defaultAuthLimits, type AuthLimits } from "./server/auth-limits.js";
import { defaultCallLimits, type CallLimits } from "./server/call-limits.js";
import { defaultConnectionLimits, type ConnectionLimits } from "./server/connection-limits.js";

/** Configured API keys name their SHA-256 only: the service never needs the secret. */
export interface ConfiguredKey {
  id: string;
  tenant: string;
  scopes: Scope[];
  sha256: string;
}

export interface Config {
  port: number;
  /** A second, HTTP/2-only port for high-volume gRPC; unset means none. */
  h2cPort?: number;
  /** A native gRPC port on @grpc/grpc-js for the highest-volume internal traffic; unset means none. */
  grpcPort?: number;
  host: string;
  logLevel: string;
  apiKeys: ConfiguredKey[];
  lifetimes: LifetimePolicy;
  workflowLifetimes: Record<string, Partial<LifetimePolicy>>;
  corsOrigins: string[] | "*";
  maxRequestBytes: number;
  shutdownGraceMs: number;
  heartbeatMs: number;
  sweepIntervalMs: number;
  maxStreamsPerTenant: number;
  /** Streams of a tenant's front ends (client tokens), together; apart from the tenant's own. */
  maxClientStreamsPerTenant: number;
  /** Streams of one session's front ends. */
  maxClientStreamsPerSession: number;
  /** Messages a tenant's streams may be sent, together; its front ends' streams have as many of their own. */
  streamMessages: DeliveryRate;
  maxQueuedEvents: number;
  analyzerTimeoutMs: number;
  warnThreshold: number;
  publicBaseUrl: string;
  /** Signs client tokens and derives link tokens; unset means a random secret per process. */
  tokenSecret?: string;
  /** Earlier token secrets: they still verify client tokens and reproduce links, never sign. */
  previousTokenSecrets: string[];
  clientTokenTtlSeconds: number;
  /** Throwaway mailbox domains added to the built-in list. */
  disposableDomains: string[];
  /** Timeouts and caps for every connection, on both ports. */
  connections: ConnectionLimits;
  /** Open grpc.health.v1.Health/Watch streams (they need no credentials). */
  maxHealthWatches: number;
  /** Calls per second and calls in progress per tenant and per client token, and calls in progress per process. */
  callLimits: CallLimits;
  /** Retention, applied alike by MongoDB's TTL indexes and by the embedded store's purge. */
  retention: { sessionMs: number; eventMs: number };
  /** Back-off and log limits for failed authentication, the proxies trusted, the API key cache. */
  auth: AuthLimits;
  /** Set when MONGODB_URI is: the production store. */
  mongo?: MongoConfig;
  /** Prometheus GET /metrics on the main port, and the bearer token it wants, if any. */
  metrics: { enabled: boolean; token?: string };
  /** Spans exported over OTLP/HTTP: on when the standard OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  tracing: boolean;
}

export interface MongoConfig {
  uri: string;
  database: string;
  writeConcern: "majority" | number;
  maxPoolSize: number;
  eventRetentionSeconds: number;
  sessionRetentionDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Reads and validates the environment, reporting every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const fraction = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      problems.push(`${name} must be a number from 0 to 1`);
      return fallback;
    }
    return value;
  };
  const json = <T>(name: string, fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    try {
      return JSON.parse(raw) as T;
    } catch {
      problems.push(`${name} must be JSON`);
      return fallback;
    }
  };

  const logLevel = env["LOG_LEVEL"] || "info";
  if (!logLevels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${logLevels.join(", ")}`);

  const lifetimes: LifetimePolicy = {
    submissionSeconds: int("SESSIONFLOW_SESSION_LIFETIME_SECONDS", defaultLifetimePolicy.submissionSeconds, 1, 86_400),
    linkSeconds: int("SESSIONFLOW_LINK_LIFETIME_SECONDS", defaultLifetimePolicy.linkSeconds, 1, 90 * 86_400),
    transferSeconds: int("SESSIONFLOW_TRANSFER_LIFETIME_SECONDS", defaultLifetimePolicy.transferSeconds, 1, 86_400),
  };

  const workflowLifetimes = json<Record<string, Partial<LifetimePolicy>>>("SESSIONFLOW_WORKFLOW_LIFETIMES", {});
  if (typeof workflowLifetimes !== "object" || workflowLifetimes === null || Array.isArray(workflowLifetimes)) {
    problems.push('SESSIONFLOW_WORKFLOW_LIFETIMES must be an object like {"bank-signup":{"submissionSeconds":300}}');
  } else {
    for (const [workflow, policy] of Object.entries(workflowLifetimes)) {
      for (const [key, value] of Object.entries(policy ?? {})) {
        if (!(key in defaultLifetimePolicy) || !Number.isInteger(value) || (value as number) < 1) {
          problems.push(`SESSIONFLOW_WORKFLOW_LIFETIMES.${workflow}.${key} must be one of submissionSeconds, linkSeconds, transferSeconds with a positive whole number`);
        }
      }
    }
  }

  const apiKeys = json<ConfiguredKey[]>("SESSIONFLOW_API_KEYS", []);
  if (!Array.isArray(apiKeys)) problems.push("SESSIONFLOW_API_KEYS must be a JSON array");
  else {
    apiKeys.forEach((k, i) => {
      const at = `SESSIONFLOW_API_KEYS[${i}]`;
      if (typeof k?.id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(k.id)) problems.push(`${at}.id must be 1-64 letters, digits, _ or -`);
      if (typeof k?.tenant !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(k.tenant)) problems.push(`${at}.tenant must be 1-64 letters, digits, _ or -`);
      if (typeof k?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(k.sha256)) problems.push(`${at}.sha256 must be 64 lowercase hex digits`);
      if (!Array.isArray(k?.scopes) || k.scopes.length === 0 || !k.scopes.every((s) => scopes.includes(s))) {
        problems.push(`${at}.scopes must list some of ${scopes.join(", ")}`);
      }
      if (apiKeys.findIndex((other) => other?.sha256 === k?.sha256) < i) problems.push(`${at}.sha256 repeats an earlier key`);
    });
  }

  const origins = (env["SESSIONFLOW_CORS_ORIGINS"] ?? "*").trim();
  const eventRetentionSeconds = int("SESSIONFLOW_EVENT_RETENTION_DAYS", 7, 1, 3650) * 86_400;
  const sessionRetentionDays = int("SESSIONFLOW_SESSION_RETENTION_DAYS", 1826, 1, 36_500);
  const uri = env["MONGODB_URI"];
  let mongo: MongoConfig | undefined;
  if (uri) {
    if (!/^mongodb(\+srv)?:\/\//.test(uri)) problems.push("MONGODB_URI must start with mongodb:// or mongodb+srv://");
    const wc = env["SESSIONFLOW_MONGODB_WRITE_CONCERN"] ?? "majority";
    if (wc !== "majority" && !/^[1-9]$/.test(wc)) problems.push("SESSIONFLOW_MONGODB_WRITE_CONCERN must be majority or a number of members 1-9");
    const database = env["SESSIONFLOW_MONGODB_DATABASE"] || "sessionflow";
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) problems.push("SESSIONFLOW_MONGODB_DATABASE must be 1-63 letters, digits, _ or -");
    if (env["SESSIONFLOW_MONGODB_FEED"] !== undefined) {
      // The polling feed could not keep the ordering contract across replicas, so it is gone.
      problems.push("SESSIONFLOW_MONGODB_FEED is no longer supported: the event feed always uses change streams, which need a replica set (a single-node one will do; see docker-compose.yml)");
    }
    mongo = {
      uri,
      database,
      writeConcern: wc === "majority" ? "majority" : Number(wc),
      maxPoolSize: int("SESSIONFLOW_MONGODB_POOL_SIZE", 50, 1, 1000),
      eventRetentionSeconds,
      sessionRetentionDays,
    };
  }

  const publicBaseUrl = env["SESSIONFLOW_PUBLIC_BASE_URL"] || "http://localhost:8080";
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(publicBaseUrl)) problems.push("SESSIONFLOW_PUBLIC_BASE_URL must be an http(s) URL");
  const tokenSecret = env["SESSIONFLOW_TOKEN_SECRET"];
  if (tokenSecret !== undefined && tokenSecret.length < 32) problems.push("SESSIONFLOW_TOKEN_SECRET must be at least 32 characters");
  // Stored keys follow the configuration at every start; on a shared store there is no
  // development key to fall back on, so none configured would lock every tenant out.
  if (uri && Array.isArray(apiKeys) && apiKeys.length === 0) {
    problems.push("SESSIONFLOW_API_KEYS is required with MONGODB_URI: it is the set of valid keys (npm run issue-key -- <tenant> makes an entry)");
  }
  if (uri && !tokenSecret) {
    problems.push("SESSIONFLOW_TOKEN_SECRET is required with MONGODB_URI: every replica must sign and check links and client tokens alike");
  }
  const previousTokenSecrets = (env["SESSIONFLOW_TOKEN_SECRETS_PREVIOUS"] ?? "").split(",").filter(Boolean);
  if (previousTokenSecrets.length > 0) {
    if (!tokenSecret) problems.push("SESSIONFLOW_TOKEN_SECRETS_PREVIOUS needs SESSIONFLOW_TOKEN_SECRET: previous secrets only verify, the current one signs");
    if (previousTokenSecrets.length > 10) problems.push("SESSIONFLOW_TOKEN_SECRETS_PREVIOUS may list at most 10 secrets");
    // A space would silently become part of the secret, and the tokens it signed would stop verifying.
    if (previousTokenSecrets.some((p) => p.length < 32 || p.trim() !== p)) {
      problems.push("SESSIONFLOW_TOKEN_SECRETS_PREVIOUS must be comma-separated secrets of at least 32 characters, without spaces around them");
    }
    if (tokenSecret && previousTokenSecrets.includes(tokenSecret)) problems.push("SESSIONFLOW_TOKEN_SECRETS_PREVIOUS must not repeat SESSIONFLOW_TOKEN_SECRET");
  }

  const before = problems.length;
  const limits = defaultConnectionLimits;
  const connections: ConnectionLimits = {
    firstBytesTimeoutMs: int("SESSIONFLOW_FIRST_BYTES_TIMEOUT_MS", limits.firstBytesTimeoutMs, 100, 600_000),
    headersTimeoutMs: int("SESSIONFLOW_HEADERS_TIMEOUT_MS", limits.headersTimeoutMs, 100, 600_000),
    requestTimeoutMs: int("SESSIONFLOW_REQUEST_TIMEOUT_MS", limits.requestTimeoutMs, 100, 3_600_000),
    keepAliveTimeoutMs: int("SESSIONFLOW_KEEP_ALIVE_TIMEOUT_MS", limits.keepAliveTimeoutMs, 100, 3_600_000),
    http2IdleTimeoutMs: int("SESSIONFLOW_HTTP2_IDLE_TIMEOUT_MS", limits.http2IdleTimeoutMs, 100, 86_400_000),
    maxConnections: int("SESSIONFLOW_MAX_CONNECTIONS", limits.maxConnections, 1, 1_000_000),
    maxConcurrentStreams: int("SESSIONFLOW_HTTP2_MAX_CONCURRENT_STREAMS", limits.maxConcurrentStreams, 1, 100_000),
  };
  // Node refuses a headers timeout longer than the request timeout; compared only when both were read.
  if (problems.length === before && connections.headersTimeoutMs > connections.requestTimeoutMs) {
    problems.push("SESSIONFLOW_HEADERS_TIMEOUT_MS must not exceed SESSIONFLOW_REQUEST_TIMEOUT_MS");
  }

  const authDefaults = defaultAuthLimits;
  const auth: AuthLimits = {
    failureBurst: int("SESSIONFLOW_AUTH_FAILURE_BURST", authDefaults.failureBurst, 1, 100_000),
    failuresPerMinute: int("SESSIONFLOW_AUTH_FAILURES_PER_MINUTE", authDefaults.failuresPerMinute, 1, 600_000),
    trackedSources: int("SESSIONFLOW_AUTH_TRACKED_SOURCES", authDefaults.trackedSources, 100, 10_000_000),
    trustedProxyHops: int("SESSIONFLOW_TRUSTED_PROXY_HOPS", authDefaults.trustedProxyHops, 0, 10),
    failureLogsPerSource: int("SESSIONFLOW_AUTH_FAILURE_LOGS_PER_SOURCE", authDefaults.failureLogsPerSource, 0, 10_000),
    failureLogLines: int("SESSIONFLOW_AUTH_FAILURE_LOGS_PER_MINUTE", authDefaults.failureLogLines, 0, 1_000_000),
    apiKeyCacheMs: int("SESSIONFLOW_API_KEY_CACHE_SECONDS", authDefaults.apiKeyCacheMs / 1000, 0, 300) * 1000,
  };

  const metricsSwitch = env["SESSIONFLOW_METRICS"] || "on";
  if (metricsSwitch !== "on" && metricsSwitch !== "off") problems.push("SESSIONFLOW_METRICS must be on or off");
  const metricsToken = env["SESSIONFLOW_METRICS_TOKEN"] || undefined;
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    problems.push("SESSIONFLOW_METRICS_TOKEN must be at least 16 characters, without spaces");
  }
  const tracing = tracingWanted(env, problems);

  const calls = defaultCallLimits;
  const callLimits: CallLimits = {
    tenant: {
      ratePerSecond: int("SESSIONFLOW_TENANT_CALLS_PER_SECOND", calls.tenant.ratePerSecond, 1, 1_000_000),
      burst: int("SESSIONFLOW_TENANT_BURST", calls.tenant.burst, 1, 1_000_000),
      maxCalls: int("SESSIONFLOW_MAX_CALLS_PER_TENANT", calls.tenant.maxCalls, 1, 1_000_000),
    },
    client: {
      ratePerSecond: int("SESSIONFLOW_CLIENT_CALLS_PER_SECOND", calls.client.ratePerSecond, 1, 1_000_000),
      burst: int("SESSIONFLOW_CLIENT_BURST", calls.client.burst, 1, 1_000_000),
      maxCalls: int("SESSIONFLOW_MAX_CALLS_PER_CLIENT", calls.client.maxCalls, 1, 1_000_000),
    },
    maxCalls: int("SESSIONFLOW_MAX_CALLS", calls.maxCalls, 1, 1_000_000),
  };

  const config: Config = {
    port: int("PORT", 8080, 0, 65_535),
    ...(env["SESSIONFLOW_H2C_PORT"] ? { h2cPort: int("SESSIONFLOW_H2C_PORT", 0, 0, 65_535) } : {}),
    ...(env["SESSIONFLOW_GRPC_PORT"] ? { grpcPort: int("SESSIONFLOW_GRPC_PORT", 0, 0, 65_535) } : {}),
    // Both IPv6 and IPv4 (falling back to IPv4 alone where IPv6 is off); see server/front-door.ts.
    host: env["HOST"] || "::",
    logLevel,
    apiKeys: Array.isArray(apiKeys) ? apiKeys : [],
    retention: { sessionMs: sessionRetentionDays * 86_400_000, eventMs: eventRetentionSeconds * 1000 },
    lifetimes,
    workflowLifetimes: workflowLifetimes ?? {},
    corsOrigins: origins === "*" ? "*" : origins.split(",").map((o) => o.trim()).filter(Boolean),
    maxRequestBytes: int("SESSIONFLOW_MAX_REQUEST_BYTES", 1024 * 1024, 1024, 16 * 1024 * 1024),
    shutdownGraceMs: int("SESSIONFLOW_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    heartbeatMs: int("SESSIONFLOW_HEARTBEAT_MS", 15_000, 100, 300_000),
    sweepIntervalMs: int("SESSIONFLOW_SWEEP_INTERVAL_MS", 5_000, 0, 3_600_000),
    maxStreamsPerTenant: int("SESSIONFLOW_MAX_STREAMS_PER_TENANT", 10_000, 1, 1_000_000),
    maxClientStreamsPerTenant: int("SESSIONFLOW_MAX_CLIENT_STREAMS_PER_TENANT", 2_000, 1, 1_000_000),
    maxClientStreamsPerSession: int("SESSIONFLOW_MAX_CLIENT_STREAMS_PER_SESSION", 4, 1, 1_000),
    streamMessages: {
      ratePerSecond: int("SESSIONFLOW_TENANT_STREAM_MESSAGES_PER_SECOND", defaultDeliveryRate.ratePerSecond, 1, 10_000_000),
      burst: int("SESSIONFLOW_TENANT_STREAM_MESSAGES_BURST", defaultDeliveryRate.burst, 1, 10_000_000),
    },
    maxQueuedEvents: int("SESSIONFLOW_MAX_QUEUED_EVENTS", 1_000, 10, 1_000_000),
    analyzerTimeoutMs: int("SESSIONFLOW_ANALYZER_TIMEOUT_MS", 2_000, 10, 60_000),
    warnThreshold: fraction("SESSIONFLOW_WARN_THRESHOLD", 0.5),
    disposableDomains: (env["SESSIONFLOW_DISPOSABLE_DOMAINS"] ?? "").split(",").map((d) => d.trim().toLowerCase()).filter(Boolean),
    publicBaseUrl,
    ...(tokenSecret ? { tokenSecret } : {}),
    previousTokenSecrets,
    clientTokenTtlSeconds: int("SESSIONFLOW_CLIENT_TOKEN_TTL_SECONDS", 900, 30, 86_400),
    connections,
    maxHealthWatches: int("SESSIONFLOW_MAX_HEALTH_WATCHES", 1_000, 1, 1_000_000),
    auth,
    callLimits,
    ...(mongo ? { mongo } : {}),
    metrics: { enabled: metricsSwitch !== "off", ...(metricsToken ? { token: metricsToken } : {}) },
    tracing,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Tracing follows OpenTelemetry's standard variables: on when a traces endpoint is set, off when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Only OTLP over HTTP with protobuf is built
 * in, so another protocol is refused here rather than failing at the first export.
 */
function tracingWanted(env: Record<string, string | undefined>, problems: string[]): boolean {
  const endpointVariable = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  const endpoint = env[endpointVariable];
  if (!endpoint || env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true") return false;
  const exporter = env["OTEL_TRACES_EXPORTER"]?.trim();
  if (exporter === "none") return false;
  if (exporter && exporter !== "otlp") problems.push("OTEL_TRACES_EXPORTER must be otlp or none");
  const protocol = env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] || env["OTEL_EXPORTER_OTLP_PROTOCOL"];
  if (protocol && protocol !== "http/protobuf") problems.push("OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf (the only OTLP protocol built in)");
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(endpoint)) problems.push(`${endpointVariable} must be an http(s) URL`);
  return true;
}
