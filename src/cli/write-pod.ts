// I/O: a LocalPod's directories and files on disk, in a temporary root removed afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LocalPod } from './local-pod.js';

export function makeTempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'pylambda-invoke-'));
}

export function removeTempRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

export function writeLocalPod(pod: LocalPod): void {
  for (const directory of pod.directories) mkdirSync(directory, { recursive: true });
  for (const file of pod.files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
  }
}
