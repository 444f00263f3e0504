// The webhook's sockets, for what Node's server does not do by itself: check its header and
// request deadlines often enough, bound how many connections are open at once, and close at
// shutdown the connections that never carried a request.
//
// Node's own `maxConnections` only drops a connection past the bound, so a few hundred sockets
// that connect and say nothing would shut Metacontroller out until their header deadline. Here a
// connection past the bound takes the place of the one that has waited longest for a request
// (silent since its accept, in its TLS handshake or its headers, or idle between calls), once
// that one has waited `replaceAfterMs`: no client of the webhook takes that long to send its
// headers, and Metacontroller reconnects for its next call. Connections with a call in progress
// are never closed for another: there are at most `PYLAMBDA_MAX_INFLIGHT` of them reading a
// body, and each is bounded by the read and write deadlines.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A quarter of the deadline, between 100 ms and Node's default 30 s: late by at most that. */
export function connectionsCheckingInterval(deadlineMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(deadlineMs / 4)));
}

export interface ConnectionBound {
  /** Connections open at once, TLS handshakes included. */
  max: number;
  /** How long a connection must have waited for a request before a new one may replace it. */
  replaceAfterMs: number;
}

export interface ConnectionEvents {
  opened?: () => void;
  closed?: () => void;
  /** A new connection past the bound closed at once: every open one is busy or too recent. */
  refused?: () => void;
  /** A connection waiting for a request closed to make room for a new one. */
  replaced?: () => void;
}

export interface Connections {
  /** Connections open now. */
  open: () => number;
  /** Destroys every socket on which no request has started yet. */
  destroyUnused: () => void;
}

interface Entry {
  socket: Socket;
  /** When it last started waiting for a request: its accept, or the end of its last call. */
  waitingSince: number;
  carriedRequest: boolean;
  /** The answer of the call in progress: a pipelined call may start before the last one's 'close'. */
  answering: ServerResponse | undefined;
}

/**
 * The TCP connection a socket belongs to. A request arrives on the TLS socket over HTTPS, and
 * the bound counts the TCP socket under it (its handshake costs memory too); both have the
 * client's address and port.
 */
function connectionKey(socket: Socket): string | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined ? undefined : `${remoteAddress}|${remotePort}`;
}

export function trackConnections(
  server: Server,
  bound: ConnectionBound,
  events: ConnectionEvents = {},
  now: () => number = Date.now,
): Connections {
  const open = new Map<string, Entry>();
  // Those waiting for a request, longest-waiting first (an entry is moved to the end whenever
  // it starts waiting again), so the one to replace is always the first.
  const waiting = new Map<string, Entry>();

  const forget = (key: string, entry: Entry) => {
    if (open.get(key) !== entry) return;
    open.delete(key);
    waiting.delete(key);
    events.closed?.();
  };

  const admit = (socket: Socket): boolean => {
    if (open.size < bound.max) return true;
    const [oldest] = waiting;
    if (oldest && now() - oldest[1].waitingSince >= bound.replaceAfterMs) {
      forget(...oldest);
      oldest[1].socket.destroy();
      events.replaced?.();
      return true;
    }
    socket.destroy();
    events.refused?.();
    return false;
  };

  server.on('connection', (socket: Socket) => {
    const key = connectionKey(socket);
    if (key === undefined || !admit(socket)) return;
    const entry: Entry = {
      socket,
      waitingSince: now(),
      carriedRequest: false,
      answering: undefined,
    };
    open.set(key, entry);
    waiting.set(key, entry);
    events.opened?.();
    socket.once('close', () => forget(key, entry));
  });

  const started = (request: IncomingMessage, response: ServerResponse) => {
    const key = connectionKey(request.socket);
    const entry = key === undefined ? undefined : open.get(key);
    if (key === undefined || !entry) return;
    waiting.delete(key);
    entry.carriedRequest = true;
    entry.answering = response;
    response.once('close', () => {
      if (open.get(key) !== entry || entry.answering !== response) return;
      entry.answering = undefined;
      entry.waitingSince = now();
      waiting.set(key, entry);
    });
  };
  server.on('request', started);
  server.on('checkContinue', started);

  return {
    open: () => open.size,
    destroyUnused: () => {
      for (const [key, entry] of open) {
        if (entry.carriedRequest) continue;
        forget(key, entry);
        entry.socket.destroy();
      }
    },
  };
}
