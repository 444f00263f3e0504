// pylambda's release (package.json "version"): the webhook and the runtime image share it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached) return cached;
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no version');
  cached = manifest.version;
  return cached;
}
