// Adapter: a PythonLambda resource -> a complete LambdaSpec (defaults applied), or the list of
// problems that make it invalid. Validation is the same JSON Schema the CRD is generated from,
// plus the rules the CRD can only express in CEL (so a CRD installed without them still holds).
import type { ValidateFunction } from 'ajv';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import { problemsFromAjv, type Problem } from '../validation/problems.js';
import type { LambdaSettings } from './settings.js';
import { autoscalingProblems } from './autoscaling-problems.js';
import { filePathProblems } from './file-paths.js';
import { explainRetiredRuntime } from './retired-runtimes.js';
import { resourceProblems } from './resource-problems.js';

type Defaulted<T, K extends keyof T> = T & Required<Pick<T, K>>;

export type LambdaSpec = LambdaSettings &
  Defaulted<PythonLambdaSpec, 'handler' | 'runtime' | 'replicas' | 'port' | 'timeoutSeconds'> & {
    files: Record<string, string>;
  };

export type SpecResult = { ok: true; spec: LambdaSpec } | { ok: false; problems: Problem[] };

export interface LambdaIdentity {
  name: string;
  namespace: string;
}

/**
 * `validateSpec` must be compiled with `useDefaults`; it fills defaults into a shallow copy,
 * so the request is never mutated and large strings are never copied.
 */
export function pythonLambdaSpec(
  identity: LambdaIdentity,
  rawSpec: unknown,
  validateSpec: ValidateFunction<PythonLambdaSpec>,
): SpecResult {
  if (rawSpec === undefined || rawSpec === null) {
    return { ok: false, problems: [{ path: 'spec', message: 'is required' }] };
  }
  if (typeof rawSpec !== 'object' || Array.isArray(rawSpec)) {
    return { ok: false, problems: [{ path: 'spec', message: 'must be an object' }] };
  }
  const spec = { ...(rawSpec as Record<string, unknown>) };
  if (!validateSpec(spec)) {
    return {
      ok: false,
      problems: explainRetiredRuntime(problemsFromAjv(validateSpec.errors, 'spec'), spec.runtime),
    };
  }
  const files = spec.files ?? {};
  const problems = [
    ...filePathProblems(files),
    ...resourceProblems(spec.resources),
    ...autoscalingProblems(spec),
  ];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    spec: {
      ...(spec as Omit<LambdaSpec, 'name' | 'namespace'>),
      files,
      name: identity.name,
      namespace: identity.namespace,
    },
  };
}
