import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";

/** Median time of sequential unary calls on one connection. */
async function medianMs(transport: Transport, calls = 21): Promise<number> {
  const health = createClient(Health, transport);
  await health.check({});
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await health.check({});
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(calls / 2)]!;
}

/**
 * With Nagle's algorithm on, a response written in several pieces waits for the client's delayed
 * ACK (40 ms on Linux) before its last piece leaves; loopback calls otherwise take about 1 ms.
 */
describe("TCP no-delay", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer();
  });
  afterAll(() => server.close());

  it("keeps unary calls free of delayed-ACK stalls on every route through both ports", async () => {
    const routes: [string, Transport][] = [
      ["gRPC, shared port", createGrpcTransport({ baseUrl: server.url })],
      ["Connect over HTTP/2, shared port", createConnectTransport({ baseUrl: server.url, httpVersion: "2" })],
      ["gRPC-Web over HTTP/1.1, shared port", createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })],
      ["gRPC, HTTP/2-only port", createGrpcTransport({ baseUrl: server.h2cUrl })],
    ];
    const medians: Record<string, number> = {};
    for (const [name, transport] of routes) medians[name] = await medianMs(transport);
    expect(Object.entries(medians).filter(([, ms]) => ms >= 20)).toEqual([]); // names the slow routes, if any
  });
});
