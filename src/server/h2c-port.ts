import http2, { type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import type { OnePortServer, RequestHandler } from "./one-port.js";

/**
 * An optional second port that speaks only cleartext HTTP/2 (gRPC, Connect and gRPC-Web with
 * prior knowledge). Node's http2 server reads its sockets natively here, without the first-bytes
 * relay the shared port needs to tell HTTP/1.1 from HTTP/2, so high-volume internal gRPC traffic
 * gets the transport's full throughput. Same handlers, interceptors and errors as the main port.
 */
export function createH2cServer(handler: RequestHandler): OnePortServer {
  const server = http2.createServer({}, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close(graceMs) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      const deadline = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
