// The Python runtime shipped to every lambda pod inside its ConfigMap: runtime/pylambda_runtime.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { RUNTIME_FILE } from './pod-layout.js';

export function runtimeSourcePath(): string {
  return join(packageRoot(), 'runtime', RUNTIME_FILE);
}

export function readRuntimeSource(): string {
  return readFileSync(runtimeSourcePath(), 'utf8');
}
