import http from "node:http";
import type { Socket } from "node:net";
import { holdsConnection, type Connection } from "./connection-gate.js";
import type { ConnectionLimits } from "./connection-limits.js";
import type { RequestHandler } from "./one-port.js";

/** Node's HTTP/1.1 server, fed sockets the first-bytes router has already accepted. */
export interface Http1Server {
  adopt(socket: Socket, connection: Connection): void;
  /** Closes idle keep-alive connections; call again to catch connections that became idle since. */
  closeIdle(): void;
  /** Stops the timeout checks and closes idle keep-alive connections. */
  close(): void;
}

export function createHttp1Server(handler: RequestHandler, limits: ConnectionLimits): Http1Server {
  const connections = new WeakMap<Socket, Connection>();
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks both deadlines on this interval, not per connection: a quarter of the shorter
    // one keeps the overshoot small, and a second at most keeps the check cheap.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
  });
  // Registered before the handler, which may finish a response synchronously.
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const connection = connections.get(req.socket);
    if (!connection || !holdsConnection(req.url)) return;
    connection.busy();
    res.once("close", () => connection.done());
  });
  // The cast only reconciles the two listener signatures; NodeHandlerFn accepts both request kinds.
  server.on("request", handler as unknown as http.RequestListener);
  // Node tracks connections for headersTimeout and requestTimeout only once the server emits
  // 'listening'. This server never listens (the router hands it sockets), so it is told to start.
  server.emit("listening");
  return {
    adopt(socket, connection) {
      connections.set(socket, connection);
      server.emit("connection", socket);
    },
    closeIdle: () => server.closeIdleConnections(),
    close: () => void server.close(),
  };
}
