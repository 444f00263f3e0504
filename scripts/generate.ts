// Writes the CRD and the TypeScript types generated from schemas/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { generatedFiles } from './generated-files.js';

for (const [path, content] of await generatedFiles()) {
  const target = join(packageRoot(), path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
