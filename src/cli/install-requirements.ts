// The PythonLambda's init container, run locally: the same `python -m pip install --target`
// command into the same (remapped) deps directory. A failed install is a runtime failure (exit 2)
// that shows pip's own output, as `kubectl logs -c install-requirements` would.
import { spawn } from 'node:child_process';
import { CliError, EXIT } from './exit-codes.js';
import type { Interrupt } from './interrupt.js';
import { unlessInterrupted } from './interrupt.js';
import type { LocalCommand } from './local-pod.js';

export async function installRequirements(
  command: LocalCommand,
  python: string,
  env: Record<string, string>,
  interrupt: Interrupt,
  verbose: boolean,
  err: (text: string) => void,
): Promise<void> {
  err(`pylambda: installing requirements: ${python} ${command.args.join(' ')}\n`);
  const child = spawn(python, command.args, {
    cwd: command.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: Buffer[] = [];
  const keep = (chunk: Buffer) => (verbose ? err(chunk.toString('utf8')) : output.push(chunk));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const ended = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  let end;
  try {
    end = await unlessInterrupted(ended, interrupt);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  if (end.error) throw new CliError(`cannot run ${python}: ${end.error.message}`, EXIT.runtime);
  if (end.code !== 0) {
    const text = Buffer.concat(output).toString('utf8').trimEnd();
    throw new CliError(
      `installing the requirements failed (pip exited with ${end.code})${text ? `:\n${text}` : ''}`,
      EXIT.runtime,
    );
  }
}
