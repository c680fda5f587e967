import { createConnectionGate } from "./connection-gate.js";
import { defaultConnectionLimits } from "./connection-limits.js";
import { createFrontDoor } from "./front-door.js";
import { createHttp2Server } from "./http2-server.js";
import type { OnePortServer, PortOptions, RequestHandler } from "./one-port.js";

/**
 * An optional second port that speaks only cleartext HTTP/2 (gRPC, Connect and gRPC-Web with
 * prior knowledge). Node's http2 server reads its sockets natively here, without the first-bytes
 * relay the shared port needs to tell HTTP/1.1 from HTTP/2, so high-volume internal gRPC traffic
 * gets the transport's full throughput. Same handlers, interceptors, errors and limits as the main port.
 */
export function createH2cServer(handler: RequestHandler, options: PortOptions = {}): OnePortServer {
  const limits = { ...defaultConnectionLimits, ...options.limits };
  const h2 = createHttp2Server(handler, limits);
  const door = createFrontDoor(options.gate ?? createConnectionGate(limits), (socket, connection) => h2.adopt(socket, connection));
  return {
    listen: (port, host) => door.listen(port, host),
    close: (graceMs) => door.close(graceMs, () => h2.closeSessions()),
  };
}
