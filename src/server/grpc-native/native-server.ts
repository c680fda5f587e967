import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type { Code, Interceptor, ServiceImpl } from "@connectrpc/connect";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createConnectionGate, holdsConnection, type Connection, type ConnectionGate } from "../connection-gate.js";
import { defaultConnectionLimits, type ConnectionLimits } from "../connection-limits.js";
import { createFrontDoor } from "../front-door.js";
import type { OnePortServer } from "../one-port.js";
import { createFrameworkStatusInterceptor } from "./framework-statuses.js";
import { createMethodHandler, type NativeHandler } from "./method-handler.js";
import { serviceDefinitionOf } from "./service-definition.js";

export interface NativeGrpcOptions {
  /** Every service the main port hosts, with its transport-free implementation. */
  services: readonly { service: DescService; impl: ServiceImpl<DescService> }[];
  /** The main port's interceptors, in the same order. */
  interceptors: readonly Interceptor[];
  /** Aborted when the app shuts down: streams end, unary calls get their grace period. */
  shutdownSignal: AbortSignal;
  logger: Logger;
  /** Largest accepted request message, as on the main port. */
  maxRequestBytes: number;
  limits?: Partial<ConnectionLimits>;
  /** Shared with the other ports, so the connection cap counts them together. */
  gate?: ConnectionGate;
  /** Told of calls refused before any interceptor ran (oversized, undecodable), as the main port tells. */
  onRefused?: (procedure: string, code: Code) => void;
}

/**
 * A native gRPC port on @grpc/grpc-js: one generic adapter hosts every method of every service
 * from its protobuf-es descriptor, with no per-RPC code. Connections are accepted by the same
 * front door as the other ports (the shared connection cap, TCP no-delay) and handed to grpc-js.
 */
export function createNativeGrpcServer(opts: NativeGrpcOptions): OnePortServer {
  const limits = { ...defaultConnectionLimits, ...opts.limits };
  const onRefused = opts.onRefused ?? (() => {});
  const inputs = new Map<string, DescMessage>(opts.services.flatMap(({ service }) => service.methods.map((m) => [`/${service.typeName}/${m.name}`, m.input] as const)));
  const server = new Server({
    interceptors: [createFrameworkStatusInterceptor({ logger: opts.logger, inputOf: (path) => inputs.get(path), maxBytes: opts.maxRequestBytes, onRefused })],
    "grpc.max_receive_message_length": opts.maxRequestBytes,
    "grpc.max_concurrent_streams": limits.maxConcurrentStreams,
    // grpc-js counts a connection idle while it has no call, as the HTTP/2 idle timeout does.
    "grpc.max_connection_idle_ms": limits.http2IdleTimeoutMs,
    // Channelz keeps per-call statistics nobody reads here; it costs every call.
    "grpc.enable_channelz": 0,
  });
  const connections = new Map<string, Connection>();
  const handlerOptions = {
    onRefused,
    interceptors: opts.interceptors,
    shutdownSignal: opts.shutdownSignal,
    logger: opts.logger,
    maxRequestBytes: opts.maxRequestBytes,
    onCall: (peer: string, path: string) => trackCall(connections.get(peer), path),
  };
  for (const { service, impl } of opts.services) {
    const handlers: Record<string, NativeHandler> = {};
    for (const method of service.methods) {
      const fn = (impl as Record<string, unknown>)[method.localName];
      // app.ts implements every method; a missing one is a wiring bug, not a client's error.
      if (typeof fn !== "function") throw new Error(`${service.typeName}.${method.name} has no implementation`);
      handlers[method.localName] = createMethodHandler(method, fn.bind(impl) as never, handlerOptions);
    }
    server.addService(serviceDefinitionOf(service), handlers as UntypedServiceImplementation);
  }
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const door = createFrontDoor(opts.gate ?? createConnectionGate(limits), (socket, connection) => {
    // grpc-js names a call's peer "address:port", which finds the connection again.
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    connections.set(peer, connection);
    socket.once("close", () => connections.delete(peer));
    injector.injectConnection(socket);
  });
  return {
    listen: (port, host) => door.listen(port, host),
    async close(graceMs) {
      let draining = false;
      await door.close(graceMs, () => {
        // GOAWAY once: calls in progress finish, the front door destroys what is left after graceMs.
        if (draining) return;
        draining = true;
        injector.drain(graceMs);
      });
      injector.destroy();
      server.forceShutdown();
    },
  };
}

/**
 * The gate's view of a connection: it has shown its protocol once a call arrives (grpc-js
 * keeps its HTTP/2 session to itself, so the client's SETTINGS cannot be seen), and it is not
 * displaced while a call is in progress.
 */
function trackCall(connection: Connection | undefined, path: string): () => void {
  if (!connection) return () => {};
  connection.greeted();
  if (!holdsConnection(path)) return () => {};
  connection.busy();
  return () => connection.done();
}
