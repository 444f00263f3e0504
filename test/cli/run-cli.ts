// Runs `node bin/pylambda.js` as a child process, the way a user or a script does, with a
// bounded time: a CLI that hangs is killed and the test fails on its result, not on mocha's timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'pylambda.js');
export const TEXT_STATS = join(REPO, 'config', 'samples', 'pythonlambda-text-stats.yaml');
export const GREETER = join(REPO, 'config', 'samples', 'annotated-deployment-greeter.yaml');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The environment the CLI sees: this one, without settings that would change what it renders. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PYLAMBDA_MAX_CODE_BYTES;
  delete env.PYLAMBDA_CLUSTER_DOMAIN;
  return { ...env, ...extra };
}

export function spawnCli(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: cliEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Never rejects: a failure to start shows up as a null code and the error on stderr. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return collect(spawnCli(args, options.env), options.timeoutMs ?? 25_000);
}

/** A result as text for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** A scratch directory for YAML files of a suite; remove() when done. */
export function scratch(): {
  dir: string;
  file(name: string, text: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'pylambda-cli-test-'));
  return {
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
