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
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
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
