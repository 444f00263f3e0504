// Where the benchmark reads and writes: the repository root, its scratch folder (ignored by
// git, under .cache/bench) and the docs it produces.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = join(ROOT, '.cache', 'bench');
export const DOCS = join(ROOT, 'docs');
export const RESULTS_JSON = join(DOCS, 'benchmarks.json');
export const RESULTS_MD = join(DOCS, 'benchmarks.md');
export const CHART_PNG = join(DOCS, 'benchmarks.png');
export const SCALE_CHART_PNG = join(DOCS, 'benchmarks-scale.png');
export const SERVER_ENTRY = join(ROOT, 'dist', 'src', 'server.js');
/** The directory holding the runtime package: PYTHONPATH, as /opt/pylambda-runtime is in a pod. */
export const RUNTIME_PATH = join(ROOT, 'runtime');
/** How a lambda pod starts the runtime (src/render/pod-layout.ts RUNTIME_COMMAND), python aside. */
export const RUNTIME_ARGS = ['-u', '-P', '-m', 'pylambda_runtime'];
export const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
export const PYTHON = process.env.PYTHON || 'python3';

let interpreter: string | undefined;

/**
 * The interpreter behind PYTHON, resolved once: a version manager's shim (pyenv) is a script
 * that adds ~100 ms to every start, which a pod's `python` does not have.
 */
export async function pythonExecutable(): Promise<string> {
  if (interpreter) return interpreter;
  const { execFile } = await import('node:child_process');
  interpreter = await new Promise<string>((resolve, reject) =>
    execFile(
      PYTHON,
      ['-c', 'import sys; print(sys.executable)'],
      { timeout: 30_000 },
      (err, out) => (err ? reject(err) : resolve(out.trim() || PYTHON)),
    ),
  );
  return interpreter;
}
