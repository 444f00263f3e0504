// The status Metacontroller stored last time, as the hooks read it back. On a cluster the CRD's
// status schema guarantees its shape; a request that breaks it anyway (a CRD installed without
// that schema, a call made by hand) must not get its odd values copied into the answer, whose
// status the API server would then refuse.
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { MAX_RETAINED_CODE_HASHES } from './code-retention.js';

const COUNTS = ['observedGeneration', 'replicas', 'readyReplicas', 'updatedReplicas'] as const;
const TEXTS = [
  'url',
  'codeHash',
  'servedCodeHash',
  'servedTemplateHash',
  'runtimeVersion',
] as const;
const CODE_HASH = /^[0-9a-f]{64}$/;

export function previousStatus(status: unknown): PythonLambdaStatus {
  if (!status || typeof status !== 'object' || Array.isArray(status)) return {};
  const stored = status as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  if (Array.isArray(stored.conditions)) kept.conditions = stored.conditions;
  for (const key of COUNTS) if (Number.isSafeInteger(stored[key])) kept[key] = stored[key];
  for (const key of TEXTS) if (typeof stored[key] === 'string') kept[key] = stored[key];
  if (Array.isArray(stored.retainedCodeHashes)) {
    const hashes = stored.retainedCodeHashes.filter(
      (hash): hash is string => typeof hash === 'string' && CODE_HASH.test(hash),
    );
    kept.retainedCodeHashes = hashes.slice(-MAX_RETAINED_CODE_HASHES);
  }
  return kept as PythonLambdaStatus;
}
