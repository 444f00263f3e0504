#!/usr/bin/env node
// `pylambda` (package.json "bin"). In a checkout it runs the TypeScript source through tsx;
// in a build without the sources or without tsx, the compiled dist/src/cli/main.js.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/src/cli/main.js', import.meta.url);

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined; // not installed (a production install): use the build
  }
}

const tsx = existsSync(source) ? await loadTsx() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'pylambda: neither src/cli/main.ts with tsx nor dist/src/cli/main.js; run npm ci, or npm run build\n',
  );
  process.exitCode = 1;
}
