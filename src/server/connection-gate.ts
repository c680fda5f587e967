import type { Socket } from "node:net";

/** One admitted connection, as the protocol servers report on it. */
export interface Connection {
  /** The client has shown its protocol; the first-bytes deadline no longer applies. */
  greeted(): void;
  /** A request or stream started; a connection with one in progress is never displaced (see holdsConnection). */
  busy(): void;
  /** A request or stream ended. */
  done(): void;
}

/**
 * Whether a request on `path` keeps its connection from being displaced. An anonymous
 * grpc.health.v1 Watch does not: it needs no credentials and may stay open for good, so were it to
 * count, a stranger holding one per connection could fill the cap and lock every client out. A
 * displaced watcher reconnects and watches again.
 */
export function holdsConnection(path: string | undefined): boolean {
  return path !== healthWatchPath;
}
const healthWatchPath = "/grpc.health.v1.Health/Watch";

/** Admission for every port of one process: the connection cap and the first-bytes deadline. */
export interface ConnectionGate {
  /** Admits a just-accepted socket, or destroys it and returns undefined when the cap is full of busy connections. */
  admit(socket: Socket): Connection | undefined;
  /** Open connections, both ports together. */
  size(): number;
}

/**
 * At the cap, a new connection displaces the connection that has been idle longest (nothing in
 * progress, including one that never sent a byte) instead of being refused: otherwise silent
 * sockets would hold every place until their deadline and starve clients that do send requests.
 * Only when every connection has a call in progress is the newcomer refused.
 */
export function createConnectionGate(opts: { maxConnections: number; firstBytesTimeoutMs: number; onRefused?: () => void }): ConnectionGate {
  const open = new Set<Socket>();
  // Insertion order is the order connections became idle, so the first one is the one to displace.
  const idle = new Set<Socket>();
  const forget = (socket: Socket) => {
    open.delete(socket);
    idle.delete(socket);
  };
  return {
    admit(socket) {
      if (open.size >= opts.maxConnections) {
        const oldest = idle.values().next().value as Socket | undefined;
        if (!oldest) {
          socket.destroy();
          opts.onRefused?.();
          return undefined;
        }
        forget(oldest);
        oldest.destroy();
      }
      open.add(socket);
      idle.add(socket);
      const deadline = setTimeout(() => socket.destroy(), opts.firstBytesTimeoutMs);
      socket.once("close", () => {
        clearTimeout(deadline);
        forget(socket);
      });
      let inProgress = 0;
      return {
        greeted: () => clearTimeout(deadline),
        busy() {
          if (inProgress++ === 0) idle.delete(socket);
        },
        done() {
          if (--inProgress === 0 && open.has(socket)) idle.add(socket);
        },
      };
    },
    size: () => open.size,
  };
}
