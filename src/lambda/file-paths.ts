// Rules for `spec.files` keys that JSON Schema cannot state (the CRD states them in CEL):
// relative paths inside the code directory that do not collide with what pylambda ships, nor
// with each other (one ConfigMap key, or a file where another needs a directory).
import type { Problem } from '../validation/problems.js';

const SEGMENT = /^[A-Za-z0-9_][-A-Za-z0-9_]*(\.[-A-Za-z0-9_]+)*$/;
// `__proto__` because JSON bodies carrying it are refused before any hook runs (prototype
// pollution guard), which would leave such a PythonLambda unsyncable and undeletable.
export const RESERVED_FILES = ['main.py', 'pylambda_runtime.py', 'requirements.txt', '__proto__'];
const MAX_PATH = 253;

export function filePathProblems(files: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  const keys = new Map<string, string>();
  const valid: string[] = [];
  for (const path of Object.keys(files).sort()) {
    const at = `spec.files[${JSON.stringify(path)}]`;
    // The ConfigMap key spells each '/' as '__', and a key may be at most 253 characters too.
    if (
      path.length > MAX_PATH ||
      configMapKeyForFile(path).length > MAX_PATH ||
      !path.split('/').every((segment) => SEGMENT.test(segment))
    ) {
      problems.push({
        path: at,
        message:
          "must be a relative path of letters, digits, '-', '_' and single dots, such as helpers.py or pkg/util.py (at most 253 characters, each '/' counting as two)",
      });
      continue;
    }
    if (RESERVED_FILES.includes(path)) {
      problems.push({
        path: at,
        message:
          'is reserved: use spec.code for main.py and spec.requirements for requirements.txt',
      });
      continue;
    }
    const key = configMapKeyForFile(path);
    const clash = keys.get(key);
    if (clash !== undefined) {
      problems.push({
        path: at,
        message: `is stored under the same ConfigMap key as ${JSON.stringify(clash)}`,
      });
    }
    keys.set(key, path);
    valid.push(path);
  }
  return [...problems, ...fileUnderFileProblems(valid)];
}

/**
 * A path that needs another as its directory, when that one is a file (main.py included): the
 * kubelet cannot write both into the code volume, and the pods would never start.
 */
function fileUnderFileProblems(paths: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const taken = new Set([...paths, 'main.py']);
  for (const path of paths) {
    const segments = path.split('/');
    for (let end = 1; end < segments.length; end += 1) {
      const directory = segments.slice(0, end).join('/');
      if (!taken.has(directory)) continue;
      const file = directory === 'main.py' ? 'main.py (spec.code)' : JSON.stringify(directory);
      problems.push({
        path: `spec.files[${JSON.stringify(path)}]`,
        message: `needs the directory ${JSON.stringify(directory)}, but ${file} is a file: one path cannot be both`,
      });
      break;
    }
  }
  return problems;
}

/** ConfigMap keys cannot hold '/': nested paths are stored flat and mapped back by the volume. */
export function configMapKeyForFile(path: string): string {
  return path.replaceAll('/', '__');
}
