// The runtime as a child process: started with the pod's environment, watched until /healthz
// says the handler imported (or the process dies, or the import fails), stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT } from './exit-codes.js';
import { httpCall } from './http-call.js';
import { listeningPort } from './runtime-logs.js';

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

export interface RuntimeProcess {
  child: ChildProcess;
  /** Resolves with the port once the runtime logged `listening`. */
  listening: Promise<number>;
  /** Resolves once the process ended and its output was read. */
  ended: Promise<ProcessEnd>;
  isRunning(): boolean;
}

export interface RuntimeLaunch {
  python: string;
  /** After the Python executable: the pod's own command (`-u -P -m pylambda_runtime`). */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  onLine: (line: string) => void;
}

export function startRuntime(launch: RuntimeLaunch): RuntimeProcess {
  // Its own process group: Ctrl-C at a terminal reaches the CLI only, which then stops the
  // runtime with one SIGTERM (a second signal would make the runtime exit at once). Its stdin
  // is a pipe the CLI never writes: if the CLI dies without stopping it (SIGKILL), the pipe
  // closes and the runtime, told to by PYLAMBDA_STOP_WHEN_STDIN_CLOSES, stops by itself.
  const child = spawn(launch.python, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // The runtime may exit before reading; a write end it closed is no error of the CLI's.
  child.stdin!.on('error', () => {});
  let running = true;
  let onPort: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (onPort = resolve));
  const take = (line: string) => {
    const port = listeningPort(line);
    if (port !== undefined) onPort(port);
    launch.onLine(line);
  };
  createInterface({ input: child.stdout! }).on('line', take);
  createInterface({ input: child.stderr! }).on('line', take);
  const ended = new Promise<ProcessEnd>((resolve) => {
    child.on('error', (error) => {
      running = false;
      resolve({ code: null, signal: null, error });
    });
    child.on('close', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return { child, listening, ended, isRunning: () => running };
}

function endedMessage(end: ProcessEnd, python: string): string {
  if (end.error) {
    const missing = (end.error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? `cannot run ${python}: not found (install Python 3.11+ or pass --python)`
      : `cannot run ${python}: ${end.error.message}`;
  }
  return `the runtime exited (${end.signal ?? `code ${end.code}`}) before serving`;
}

async function healthz(port: number): Promise<{ status: number; reason?: string; state?: string }> {
  try {
    const answer = await httpCall({
      port,
      method: 'GET',
      path: '/healthz',
      headers: [],
      body: undefined,
      timeoutMs: 2000,
    });
    // {"status": "ok"} or {"status": "importing" | "import_failed" | "draining", "reason": ...}
    let payload: { status?: unknown; reason?: unknown } = {};
    try {
      payload = JSON.parse(answer.body.toString('utf8')) as typeof payload;
    } catch {
      // not the runtime answering: keep polling until the deadline
    }
    return {
      status: answer.status,
      state: typeof payload.status === 'string' ? payload.status : undefined,
      reason: typeof payload.reason === 'string' ? payload.reason : undefined,
    };
  } catch {
    return { status: 0 };
  }
}

/**
 * Resolves with the port once GET /healthz answers 200. Throws a CliError (exit 2) when the
 * process ends first, the handler's import fails, or `timeoutMs` passes; the process is left
 * to the caller to stop.
 */
export async function waitUntilReady(
  runtime: RuntimeProcess,
  python: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const ended = runtime.ended.then((end) => ({ end }));
  const first = await Promise.race([
    ended,
    runtime.listening.then((port) => ({ port })),
    sleep(timeoutMs, undefined, { ref: false }).then(() => ({ timeout: true })),
  ]);
  if ('end' in first) throw new CliError(endedMessage(first.end, python), EXIT.runtime);
  if ('timeout' in first) {
    throw new CliError(
      `the runtime did not start listening within ${timeoutMs / 1000} s`,
      EXIT.runtime,
    );
  }
  const { port } = first;
  let last: { status: number; reason?: string; state?: string } = { status: 0 };
  for (let delay = 25; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
    last = await healthz(port);
    if (last.status === 200) return port;
    if (last.state === 'import_failed') {
      throw new CliError(
        `the handler did not import: ${last.reason ?? 'see the log above'}`,
        EXIT.runtime,
      );
    }
    if (!runtime.isRunning()) {
      throw new CliError(endedMessage(await runtime.ended, python), EXIT.runtime);
    }
    await sleep(delay);
  }
  throw new CliError(
    `the handler was not ready within ${timeoutMs / 1000} s (--start-timeout): ${last.reason ?? `GET /healthz answered ${last.status}`}`,
    EXIT.runtime,
  );
}

/** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
export async function stopRuntime(runtime: RuntimeProcess, graceMs: number): Promise<ProcessEnd> {
  if (runtime.isRunning()) runtime.child.kill('SIGTERM');
  const end = await Promise.race([
    runtime.ended,
    sleep(graceMs, undefined, { ref: false }).then(() => undefined),
  ]);
  if (end) return end;
  runtime.child.kill('SIGKILL');
  return runtime.ended;
}
