import type { CreateIndexesOptions, IndexSpecification } from "mongodb";
import { metricsIndexName } from "./metrics-pipeline.js";

export interface IndexDeclaration {
  collection: "sessions" | "events" | "apiKeys" | "identityLinks" | "configurations" | "feedState";
  name: string;
  key: IndexSpecification;
  options?: Omit<CreateIndexesOptions, "name">;
}

export interface RetentionOptions {
  /** How long feed events are kept for resuming streams. */
  eventRetentionSeconds: number;
}

/**
 * Every index, in one place, named. Tenant-scoped queries lead with tenantId so one tenant's
 * reads never scan another's; the TTL indexes purge what retention allows, while every read
 * still checks expiry itself because MongoDB's TTL monitor runs only about once a minute.
 */
export function indexDeclarations({ eventRetentionSeconds }: RetentionOptions): IndexDeclaration[] {
  return [
    { collection: "sessions", name: "tenant_id", key: { tenantId: 1, _id: -1 } },
    { collection: "sessions", name: "tenant_workflow_id", key: { tenantId: 1, workflow: 1, _id: -1 } },
    // Multikey and unique: a request id belongs to one session of a tenant (idempotency).
    { collection: "sessions", name: "tenant_request_id", key: { tenantId: 1, "audit.requestId": 1 }, options: { unique: true } },
    // At most one session replaces an expired one, whatever the concurrency.
    {
      collection: "sessions",
      name: "tenant_replaces",
      key: { tenantId: 1, replaces: 1 },
      options: { unique: true, partialFilterExpression: { replaces: { $exists: true } } },
    },
    // The link is the credential: lookups by its hash come from any tenant.
    {
      collection: "sessions",
      name: "link_token_hash",
      key: { linkTokenHash: 1 },
      options: { unique: true, partialFilterExpression: { linkTokenHash: { $exists: true } } },
    },
    { collection: "sessions", name: "tenant_billable_time", key: { tenantId: 1, billable: 1, createTime: 1 } },
    // GetMetrics (metrics-pipeline.ts): equality, then the range, then the optional filters, which
    // the server checks on index keys so only matching documents are fetched. None of these fields
    // changes after insert, so updates never touch this index.
    { collection: "sessions", name: metricsIndexName, key: { tenantId: 1, billable: 1, createTime: 1, workflow: 1, market: 1 } },
    { collection: "sessions", name: "sweep_open_expiry", key: { expireTime: 1 }, options: { partialFilterExpression: { open: true } } },
    { collection: "sessions", name: "ttl_retain_until", key: { retainUntil: 1 }, options: { expireAfterSeconds: 0 } },
    { collection: "events", name: "tenant_cursor", key: { tenantId: 1, _id: 1 } },
    { collection: "events", name: "ttl_events", key: { at: 1 }, options: { expireAfterSeconds: eventRetentionSeconds } },
    { collection: "apiKeys", name: "tenant", key: { tenantId: 1 } },
    // Multikey: one entry per element, so a lookup by any element is one index scan.
    { collection: "identityLinks", name: "tenant_keys_time", key: { tenantId: 1, keys: 1, time: -1 } },
    { collection: "configurations", name: "tenant_version", key: { tenantId: 1, version: -1 }, options: { unique: true } },
  ];
}
