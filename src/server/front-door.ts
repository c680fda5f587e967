import net, { type AddressInfo, type Socket } from "node:net";
import type { Connection, ConnectionGate } from "./connection-gate.js";

/** The listening socket of one port: admission through the gate, then the port's own handling. */
export interface FrontDoor {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting, then calls `drain` at once and every 50 ms (connections may become idle, or
   * finish their handshake, meanwhile) until every connection has closed; destroys what is left
   * after `graceMs`.
   */
  close(graceMs: number, drain: () => void): Promise<void>;
}

/** Every address, IPv6 and IPv4 alike: localhost resolves to ::1 on many systems. */
export const anyAddress = "::";
const noIpv6 = new Set(["EAFNOSUPPORT", "EADDRNOTAVAIL", "EPROTONOSUPPORT"]);

export function createFrontDoor(gate: ConnectionGate, accept: (socket: Socket, connection: Connection) => void): FrontDoor {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
    const connection = gate.admit(socket);
    if (!connection) return;
    // Responses go out in several writes (headers, messages, trailers); with Nagle's algorithm on,
    // the last one waits for the client's delayed ACK, 40 ms on Linux.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    accept(socket, connection);
  });
  return {
    async listen(port, host = anyAddress) {
      const attempt = (h: string) =>
        new Promise<AddressInfo>((resolve, reject) => {
          server.once("error", reject);
          // ipv6Only false: "::" takes IPv4 connections too, as IPv4-mapped addresses.
          server.listen({ port, host: h, ipv6Only: false }, () => {
            server.off("error", reject);
            resolve(server.address() as AddressInfo);
          });
        });
      try {
        return await attempt(host);
      } catch (e) {
        // A host without IPv6 (disabled in the kernel or the container) still serves IPv4.
        if (host !== anyAddress || !noIpv6.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
        return attempt("0.0.0.0");
      }
    },
    async close(graceMs, drain) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      drain();
      const draining = setInterval(drain, 50);
      const deadline = setTimeout(() => sockets.forEach((s) => s.destroy()), graceMs);
      await closed;
      clearInterval(draining);
      clearTimeout(deadline);
    },
  };
}
