// The folder holding package.json, found from this file's location so that the service finds
// schemas/ and runtime/ whether it runs from src/ (tsx), dist/src/ (node) or an image.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the pylambda package root (package.json)');
    dir = parent;
  }
  cached = dir;
  return dir;
}
