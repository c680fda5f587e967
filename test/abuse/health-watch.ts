import { createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";

export { Status };

/** A grpc.health.v1 Watch stream whose first status has arrived. */
export interface OpenWatch {
  next(): Promise<Status | undefined>;
  stop(): void;
}

export async function openWatch(transport: Transport, service = ""): Promise<OpenWatch> {
  const abort = new AbortController();
  const stream = createClient(Health, transport).watch({ service }, { signal: abort.signal })[Symbol.asyncIterator]();
  const next = async () => (await stream.next()).value?.status;
  const first = await next();
  if (first === undefined) throw new Error("the watch ended before its first status");
  return { next, stop: () => abort.abort() };
}
