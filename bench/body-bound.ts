// Whether a body reader keeps the memory bound of the hardening work, measured on a fresh
// process: bodies within PYLAMBDA_BODY_LIMIT_BYTES made of more JSON values than
// PYLAMBDA_MAX_JSON_VALUES allows (refused 413 by both readers, the question is at what cost in
// memory: before or after the parse), and a body that stalls after its headers (the 408
// body-read deadline, or a connection held until Node's requestTimeout).
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from './lib/http.js';
import type { RunningServer } from './lib/processes.js';

/** Within the default 4 MiB body limit: about 1.4 million empty objects. */
const FLOOD_BYTES = 4 * 1024 * 1024 - 1024;
/** Concurrent floods per round: Metacontroller's default --workers. */
const CONCURRENT = 5;
const ROUNDS = 3;
/** The probes' servers run with this deadline (PYLAMBDA_BODY_READ_TIMEOUT_MS). */
export const PROBE_DEADLINE_MS = 1000;

export interface BodyBound {
  reader: string;
  rssBeforeMiB: number;
  /** Peak resident memory (VmHWM) after the floods. */
  peakMiB: number;
  /** The statuses the floods got (0: the connection was reset before an answer). */
  floodStatuses: number[];
  /** What a body that stops after 10 of 100 bytes gets within 3 × the deadline (0: nothing). */
  stalledStatus: number;
  stalledAfterMs: number;
}

function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

function floodBody(): Buffer {
  const head = '{"parent":[';
  const count = Math.floor((FLOOD_BYTES - head.length - 2) / 3);
  return Buffer.from(`${head}${'{},'.repeat(count - 1)}{}]}`);
}

/** Headers and 10 of 100 promised bytes, then silence: the status answered, or 0. */
function stalledBody(port: number, path: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = () => {
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
      resolve({ status, ms: Date.now() - started });
    };
    const timer = setTimeout(done, 3 * PROBE_DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      clearTimeout(timer);
      done();
    });
    socket.on('error', () => {
      clearTimeout(timer);
      done();
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"parent":',
    );
  });
}

export async function probeBodyBound(reader: string, server: RunningServer): Promise<BodyBound> {
  const path = '/hooks/pythonlambda/sync';
  const body = floodBody();
  const rssBeforeMiB = memoryMiB(server.pid, 'VmRSS');
  const floodStatuses: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const replies = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        // A reader may answer early and close while the body is still being sent: a reset is
        // its answer then (0), not a failed benchmark.
        request('POST', server.baseUrl + path, body, 60_000).catch(() => ({ status: 0 })),
      ),
    );
    floodStatuses.push(...replies.map((r) => r.status));
  }
  const peakMiB = memoryMiB(server.pid, 'VmHWM');
  const stalled = await stalledBody(server.port, path);
  return {
    reader,
    rssBeforeMiB,
    peakMiB,
    floodStatuses: [...new Set(floodStatuses)],
    stalledStatus: stalled.status,
    stalledAfterMs: stalled.ms,
  };
}
