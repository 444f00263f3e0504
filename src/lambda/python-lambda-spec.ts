// Adapter: a PythonLambda resource -> a complete LambdaSpec (defaults applied), or the list of
// problems that make it invalid. Validation is the same JSON Schema the CRD is generated from,
// plus the rules the CRD can only express in CEL (so a CRD installed without them still holds).
import type { ValidateFunction } from 'ajv';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import { problemsFromAjv, type Problem } from '../validation/problems.js';
import { holdsMoreParsedValuesThan } from '../validation/value-count.js';
import type { LambdaSettings } from './settings.js';
import { autoscalingProblems } from './autoscaling-problems.js';
import { envProblems } from './env-problems.js';
import { filePathProblems } from './file-paths.js';
import { explainRetiredRuntime } from './retired-runtimes.js';
import { resourceProblems } from './resource-problems.js';

/**
 * The most values a spec may hold before it is validated field by field. A valid spec holds
 * at most a few thousand (the schema bounds its lists and maps: 128 env entries, 64 files);
 * beyond this one problem is reported, not the several per value that validation would list.
 */
export const MAX_SPEC_VALUES = 20_000;

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
  if (holdsMoreParsedValuesThan(rawSpec, MAX_SPEC_VALUES)) {
    const message = `holds more than ${MAX_SPEC_VALUES} values; a valid spec holds far fewer (its lists and maps are bounded)`;
    return { ok: false, problems: [{ path: 'spec', message }] };
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
    ...envProblems(spec.env),
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
