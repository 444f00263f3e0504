// Python versions pylambda once served and no longer does. A lambda stored before an upgrade can
// still name one (the API server keeps unchanged fields valid through CRD validation ratcheting),
// so its error says why the version went away and what to pick, instead of a bare enum list.
// Its running pods are kept: an invalid spec never deletes a lambda's children.
import type { Problem } from '../validation/problems.js';

/** Retired version -> the month its upstream end of life came. */
const RETIRED_RUNTIMES: Readonly<Record<string, string>> = {
  '3.8': 'October 2024',
  '3.9': 'October 2025',
  '3.10': 'October 2026',
};

/** `problems` with the one about `spec.runtime` explained when it names a retired version. */
export function explainRetiredRuntime(problems: Problem[], runtime: unknown): Problem[] {
  if (typeof runtime !== 'string' || !Object.hasOwn(RETIRED_RUNTIMES, runtime)) return problems;
  return problems.map((problem) =>
    problem.path === 'spec.runtime' && problem.message.startsWith('must be one of')
      ? {
          path: problem.path,
          message: `Python ${runtime} reached its end of life in ${RETIRED_RUNTIMES[runtime]} and is no longer served; ${problem.message}`,
        }
      : problem,
  );
}
