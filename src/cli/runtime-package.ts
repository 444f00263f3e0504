// The runtime package as this checkout (or installed package) holds it: what the runtime image
// carries, and what `pylambda invoke` puts where a pod's runtime init container copies it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { packageRoot } from '../package-root.js';
import { RUNTIME_PACKAGE } from '../render/pod-layout.js';

/** Its .py files, by path relative to the package's parent directory. */
export function readRuntimePackage(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    const dir = join(packageRoot(), 'runtime', relative);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = posix.join(relative, entry.name);
      if (entry.isDirectory() && entry.name !== '__pycache__') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.py'))
        files.set(path, readFileSync(join(dir, entry.name), 'utf8'));
    }
  };
  walk(RUNTIME_PACKAGE);
  return files;
}
