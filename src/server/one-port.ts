import type { connectNodeAdapter } from "@connectrpc/connect-node";
import type { AddressInfo } from "node:net";
import { createConnectionGate, type ConnectionGate } from "./connection-gate.js";
import { defaultConnectionLimits, type ConnectionLimits } from "./connection-limits.js";
import { readFirstBytes } from "./first-bytes.js";
import { createFrontDoor } from "./front-door.js";
import { createHttp1Server } from "./http1-server.js";
import { createHttp2Server } from "./http2-server.js";
import { createReplayRelay } from "./replay-relay.js";

/** A request listener that works for both http and http2 servers. */
export type RequestHandler = ReturnType<typeof connectNodeAdapter>;

export interface OnePortServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

export interface PortOptions {
  limits?: Partial<ConnectionLimits>;
  /** Shared by every port of the process, so the connection cap counts them together; one per port when unset. */
  gate?: ConnectionGate;
}

/**
 * HTTP/1.1 and cleartext HTTP/2 on one port. Node's http2 server refuses HTTP/1.1 without TLS,
 * so each connection's first bytes decide which server gets it.
 */
export function createOnePortServer(handler: RequestHandler, options: PortOptions = {}): OnePortServer {
  const limits = { ...defaultConnectionLimits, ...options.limits };
  const h1 = createHttp1Server(handler, limits);
  const h2 = createHttp2Server(handler, limits);
  const door = createFrontDoor(options.gate ?? createConnectionGate(limits), (socket, connection) => {
    readFirstBytes(socket, (protocol, head) => {
      // HTTP/2 counts as greeted once its SETTINGS arrive; the http2 server reports that.
      if (protocol === "h2") return h2.adopt(createReplayRelay(socket, head), connection);
      connection.greeted();
      socket.unshift(head);
      h1.adopt(socket, connection);
      socket.resume();
    });
  });
  return {
    listen: (port, host) => door.listen(port, host),
    async close(graceMs) {
      h1.close();
      await door.close(graceMs, () => {
        h1.closeIdle();
        h2.closeSessions();
      });
    },
  };
}
