// Rules for `spec.files` keys that JSON Schema cannot state (the CRD states them in CEL):
// relative paths inside the code directory that do not collide with what pylambda ships.
import type { Problem } from '../validation/problems.js';

const SEGMENT = /^[A-Za-z0-9_][-A-Za-z0-9_]*(\.[-A-Za-z0-9_]+)*$/;
// `__proto__` because JSON bodies carrying it are refused before any hook runs (prototype
// pollution guard), which would leave such a PythonLambda unsyncable and undeletable.
export const RESERVED_FILES = ['main.py', 'pylambda_runtime.py', 'requirements.txt', '__proto__'];
const MAX_PATH = 253;

export function filePathProblems(files: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  const keys = new Map<string, string>();
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
  }
  return problems;
}

/** ConfigMap keys cannot hold '/': nested paths are stored flat and mapped back by the volume. */
export function configMapKeyForFile(path: string): string {
  return path.replaceAll('/', '__');
}
