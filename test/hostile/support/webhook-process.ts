// The webhook service as it runs in its pod: `src/server.ts` in a process of its own, configured
// by environment variables, on a free port of 127.0.0.1. Its JSON log lines tell the port.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process exited. */
  at: number;
}

export interface LogLine {
  msg?: string;
  level?: number;
  [field: string]: unknown;
}

export interface WebhookProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** Everything the process wrote to stderr. */
  stderr: () => string;
  exited: Promise<Exit>;
  /** SIGKILL if still running (cleanup after a failed test). */
  kill: () => Promise<Exit>;
}

/** Starts `node --import tsx src/server.ts` and waits (at most `startupMs`) until it listens. */
export function startWebhook(
  env: Record<string, string>,
  startupMs = 20_000,
): Promise<WebhookProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let stderr = '';
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal, at: Date.now() };
      resolveExit(exit);
    });
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`the webhook did not listen within ${startupMs} ms: ${stderr}`));
    }, startupMs);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue;
        }
        logs.push(parsed);
        if (parsed.msg === 'pylambda webhook listening') {
          clearTimeout(timer);
          resolveStart({
            port: Number(parsed.port),
            pid: child.pid!,
            child,
            logs,
            stderr: () => stderr,
            exited,
            kill: () => {
              if (!exit) child.kill('SIGKILL');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      rejectStart(
        new Error(`the webhook exited (${e.code ?? e.signal}) before listening: ${stderr}`),
      );
    });
  });
}
