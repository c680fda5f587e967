import { Writable } from "node:stream";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import { createPolicies, type LifetimePolicy } from "../../src/domain/policy.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App } from "../../src/server/app.js";
import type { Random } from "./random.js";
import { withRoundTrips, type StoreFactory } from "./stores.js";

/** A tenant of the run, with an API key holding every scope, and the workflows its actors use. */
export interface Tenant {
  id: string;
  key: string;
  workflows: readonly string[];
}

export interface Instance {
  index: number;
  baseUrl: string;
  app: App;
}

/** An unexpected failure a server logged (the error interceptor logs each INTERNAL once, with its stack). */
export interface ServerError {
  instance: number;
  /** The x-request-id of the call, which the checker sets to its operation id. */
  rid?: string;
  procedure?: string;
  message: string;
}

/** A store answer the checker dropped on purpose: on which instance, and when. */
export interface InjectedFaultAt {
  instance: number;
  atMs: number;
}

export interface Cluster {
  instances: Instance[];
  tenants: Tenant[];
  lifetimes: Record<string, LifetimePolicy>;
  serverErrors(): ServerError[];
  /** Store answers are lost at the fault rate only while this is on (during the workload; off at first). */
  faults: { on: boolean; injected: number; log: InjectedFaultAt[] };
  /** Breaks what the store set can break (see StoreSet.disturb); false when it has nothing to break. */
  disturb(): boolean;
  close(): Promise<void>;
}

export interface ClusterOptions {
  instances: number;
  stores: StoreFactory;
  /** Each store answer waits up to this long, plus a twelfth of it per document it carries (0: no added latency). */
  latencyMs: number;
  /** The share of store answers lost after the call took effect, while faults are on (see Cluster.faults). */
  faultRate: number;
  random: Random;
  heartbeatMs: number;
  sweepIntervalMs: number;
}

/**
 * Lifetimes short enough that sessions expire, get swept and get replaced while the run goes on:
 * API sessions live about a second and a half, link sessions a few seconds, transferred ones two.
 * The two workflows differ, so a workflow filter and the expiry model both have something to tell apart.
 */
export const workflowLifetimes: Record<string, LifetimePolicy> = {
  signup: { submissionSeconds: 1.5, linkSeconds: 4, transferSeconds: 2 },
  kyc: { submissionSeconds: 2.5, linkSeconds: 5, transferSeconds: 2 },
};

const tenantIds = ["acme", "globex"] as const;

/** K full service instances on 127.0.0.1, each its own createApp over one shared storage. */
export async function createCluster(opts: ClusterOptions): Promise<Cluster> {
  const storeSet = await opts.stores(opts.instances);
  if (storeSet.stores.length !== opts.instances) throw new Error(`the store factory made ${storeSet.stores.length} stores for ${opts.instances} instances`);
  const tripRandom = opts.random.fork();
  // Off until the workload starts: setting up and reading the final state go without faults.
  const faults = { on: false, injected: 0, log: [] as InjectedFaultAt[] };
  // One trip per instance, so each injected fault is known by where and when it struck.
  const tripFor = (instance: number) => ({
    delay: (items: number) => new Promise<void>((resolve) => setTimeout(resolve, tripRandom.int(0, opts.latencyMs) + (items * opts.latencyMs) / 12)),
    fail: () => {
      if (!(faults.on && tripRandom.float() < opts.faultRate)) return false;
      faults.injected++;
      faults.log.push({ instance, atMs: Date.now() });
      return true;
    },
  });
  const stores = opts.latencyMs > 0 || opts.faultRate > 0 ? storeSet.stores.map((s, i) => withRoundTrips(s, tripFor(i))) : storeSet.stores;

  const now = new Date();
  const tenants: Tenant[] = [];
  for (const id of tenantIds) {
    const { secret, key } = issueApiKey(id, [...scopes], now);
    await storeSet.stores[0]!.apiKeys.insert(key);
    tenants.push({ id, key: secret, workflows: Object.keys(workflowLifetimes) });
  }

  const errors: ServerError[] = [];
  // Every replica must derive the same link tokens and accept the same client tokens.
  const tokenSecret = `history-checker-${opts.random.hex(32)}`;
  const instances: Instance[] = [];
  for (let index = 0; index < opts.instances; index++) {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split("\n")) {
          if (!line.trim() || errors.length >= 1000) continue;
          try {
            const entry = JSON.parse(line) as { rid?: string; procedure?: string; msg?: string; err?: { message?: string; stack?: string } };
            errors.push({
              instance: index,
              ...(entry.rid ? { rid: entry.rid } : {}),
              ...(entry.procedure ? { procedure: entry.procedure } : {}),
              message: `${entry.msg ?? ""}: ${entry.err?.stack?.split("\n").slice(0, 4).join(" | ") ?? entry.err?.message ?? ""}`,
            });
          } catch {
            errors.push({ instance: index, message: line.slice(0, 300) });
          }
        }
        cb();
      },
    });
    const app = createApp({
      store: stores[index]!,
      logger: createLogger("error", sink),
      policies: createPolicies(workflowLifetimes.signup, workflowLifetimes),
      heartbeatMs: opts.heartbeatMs,
      sweepIntervalMs: opts.sweepIntervalMs,
      tokenSecret,
      publicBaseUrl: "http://links.invalid",
    });
    const address = await app.server.listen(0, "127.0.0.1");
    instances.push({ index, baseUrl: `http://127.0.0.1:${address.port}`, app });
  }

  return {
    instances,
    tenants,
    lifetimes: workflowLifetimes,
    serverErrors: () => errors,
    faults,
    disturb: () => {
      storeSet.disturb?.();
      return storeSet.disturb !== undefined;
    },
    async close() {
      await Promise.all(instances.map((i) => i.app.shutdown(200)));
      await storeSet.close();
    },
  };
}
