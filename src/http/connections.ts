// The webhook's sockets, for the two things Node's server does not do by itself: check its
// header and request deadlines often enough, and close at shutdown the connections that never
// carried a request.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** A quarter of the deadline, between 100 ms and Node's default 30 s: late by at most that. */
export function connectionsCheckingInterval(deadlineMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(deadlineMs / 4)));
}

export interface UnusedConnections {
  /** Destroys every socket on which no request has started yet. */
  destroyAll: () => void;
}

/** `secure`: an HTTPS server, whose requests arrive on the TLS socket ('secureConnection'). */
export function trackUnusedConnections(server: Server, secure: boolean): UnusedConnections {
  const unused = new Set<Socket>();
  const add = (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  };
  server.on(secure ? 'secureConnection' : 'connection', add);
  server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  server.on('checkContinue', (request: { socket: Socket }) => unused.delete(request.socket));
  return {
    destroyAll: () => {
      for (const socket of unused) socket.destroy();
      unused.clear();
    },
  };
}
